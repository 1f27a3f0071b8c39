"""Learning the weights from coordinators' decisions: shrinkage, minimum, hard rules, files."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from matching import (
    COMPONENTS,
    CoordinatorDecision,
    HistoryEntry,
    LearnedWeights,
    Weights,
    WeightsError,
    hard_rule_violations,
    learn_weights,
    propose,
    read_hosts,
    read_newcomers,
)
from matching.cli import main
from matching.learning import WeightLearner, pairwise_data, weights_from_mapping
from matching.simulation import HIDDEN_PREFERENCES, SimulatedCoordinator, simulate
from matching.synth import generate_pool

DEFAULTS = Weights()


def _distance(a: Weights, b: Weights) -> float:
    return max(abs(getattr(a, k) - getattr(b, k)) for k in COMPONENTS)


@pytest.fixture(scope="module")
def pool() -> tuple[list[Any], list[Any]]:
    generated = generate_pool(320, 240, seed=2)
    hosts = [h for h in generated.hosts if h.status == "active" and h.free_capacity > 0]
    return hosts, generated.newcomers


@pytest.fixture(scope="module")
def picks(pool: tuple[list[Any], list[Any]]) -> list[CoordinatorDecision]:
    """The hidden-preference coordinator's picks from every newcomer's top 5."""
    hosts, newcomers = pool
    coordinator = SimulatedCoordinator(HIDDEN_PREFERENCES, seed=2)
    out = []
    for proposal in propose(hosts, newcomers, top_k=5):
        pick = coordinator.pick(proposal.newcomer, proposal.candidates)
        if pick is not None:
            kind = "approved" if pick == proposal.candidates[0].host else "picked"
            out.append(CoordinatorDecision(proposal.newcomer, pick, kind))  # type: ignore[arg-type]
    return out


def test_default_score_is_the_weighted_sum_of_the_six_parts(
    pool: tuple[list[Any], list[Any]],
) -> None:
    hosts, newcomers = pool
    for proposal in propose(hosts, newcomers[:30], top_k=3):
        for c in proposal.candidates:
            assert set(c.components) == set(COMPONENTS)
            expected = sum(getattr(DEFAULTS, k) * c.components[k] for k in COMPONENTS)
            assert c.score == pytest.approx(expected, abs=2e-3)
    # Age and household weigh together what a stage of life weighs, half each.
    assert DEFAULTS.age == DEFAULTS.household == pytest.approx(0.075)
    assert sum(getattr(DEFAULTS, k) for k in COMPONENTS) == pytest.approx(1.0)


def test_few_decisions_barely_move_the_weights_many_do(
    pool: tuple[list[Any], list[Any]], picks: list[CoordinatorDecision]
) -> None:
    hosts, newcomers = pool
    few = learn_weights(hosts, newcomers, picks[:10], min_decisions=1)
    many = learn_weights(hosts, newcomers, picks, min_decisions=1)
    assert few.learned and many.learned
    assert _distance(few.weights, DEFAULTS) < 0.02
    # The coordinator's hidden taste: same area x3, closeness in age x2.
    assert many.weights.area > DEFAULTS.area + 0.04
    assert many.weights.age > DEFAULTS.age + 0.02
    assert many.weights.interests < DEFAULTS.interests
    assert sum(many.as_mapping().values()) == pytest.approx(1.0)


def test_below_the_minimum_the_defaults_are_returned(
    pool: tuple[list[Any], list[Any]], picks: list[CoordinatorDecision]
) -> None:
    hosts, newcomers = pool
    below = learn_weights(hosts, newcomers, picks[:29], min_decisions=30)
    assert not below.learned
    assert below.weights == DEFAULTS
    assert below.n_decisions == 29
    at = learn_weights(hosts, newcomers, picks[:30], min_decisions=30)
    assert at.learned and at.n_decisions == 30
    # Decisions about people not in the pool do not count toward the minimum.
    strangers = [CoordinatorDecision("nobody", "H000001", "picked")] * 5
    data = pairwise_data(hosts, newcomers, [*picks[:27], *strangers])
    assert data.n_decisions == 27 and len(data.skipped) == 5
    assert not WeightLearner(min_decisions=30).fit(data).learned_


def test_a_coordinator_with_the_defaults_taste_leaves_the_defaults(
    pool: tuple[list[Any], list[Any]],
) -> None:
    hosts, newcomers = pool
    coordinator = SimulatedCoordinator({}, seed=2)
    decisions = []
    for proposal in propose(hosts, newcomers, top_k=5):
        pick = coordinator.pick(proposal.newcomer, proposal.candidates)
        if pick is not None:
            decisions.append(CoordinatorDecision(proposal.newcomer, pick, "picked"))
    learned = learn_weights(hosts, newcomers, decisions, min_decisions=1)
    assert _distance(learned.weights, DEFAULTS) < 0.015


def test_rejections_and_low_ratings_count_against_a_pair() -> None:
    rejected = CoordinatorDecision("N1", "H1", "rejected")
    assert rejected.signal < 0 and rejected.is_hard_no
    assert CoordinatorDecision("N1", "H1", "declined").is_hard_no
    assert CoordinatorDecision("N1", "H1", "approved", rating=1).signal == 0
    assert CoordinatorDecision("N1", "H1", "accepted", rating=5).signal == 1.5
    assert not CoordinatorDecision("N1", "H1", "picked").is_hard_no


def test_weights_file_round_trips() -> None:
    learned = LearnedWeights(
        weights=weights_from_mapping(
            {"interests": 4, "text": 1, "age": 1, "household": 1, "area": 2, "wishes": 1}
        ),
        n_decisions=120,
        trained_at=datetime(2026, 12, 5, 21, 30, tzinfo=UTC),
        learned=True,
    )
    data = json.loads(learned.dumps())
    assert set(data) == {"version", "weights", "n_decisions", "trained_at", "learned"}
    assert list(data["weights"]) == list(COMPONENTS)
    again = LearnedWeights.from_dict(data)
    assert again.n_decisions == 120 and again.trained_at == learned.trained_at
    assert again.learned
    assert _distance(again.weights, learned.weights) < 1e-6
    assert again.weights.area == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "version"),
        ({"weights": {"interests": 1.0}}, "missing"),
        ({"weights": {**dict.fromkeys(COMPONENTS, 0.1), "life_stage": 0.1}}, "unknown"),
        ({"weights": {**dict.fromkeys(COMPONENTS, 0.1), "area": -0.5}}, ">= 0"),
        ({"weights": {**dict.fromkeys(COMPONENTS, 0.1), "area": math.nan}}, "finite"),
        ({"weights": {**dict.fromkeys(COMPONENTS, 0.1), "area": "much"}}, "not a number"),
        ({"weights": dict.fromkeys(COMPONENTS, 0)}, "above 0"),
        ({"trained_at": "yesterday"}, "ISO"),
        ({"n_decisions": -1}, "n_decisions"),
    ],
)
def test_bad_weights_files_are_refused(change: dict[str, Any], message: str) -> None:
    data = {**LearnedWeights.defaults(10).to_dict(), **change}
    with pytest.raises(WeightsError, match=message):
        LearnedWeights.from_dict(data)


def test_fast_simulation_learns_the_hidden_taste_and_leaves_the_defaults_alone() -> None:
    hidden = simulate(seed=2, n_newcomers=240, n_hosts=320)
    assert hidden.evaluated >= 100
    assert hidden.gain_points >= 15
    control = simulate(seed=2, n_newcomers=240, n_hosts=320, multipliers={})
    assert abs(control.gain_points) <= 5
    assert _distance(control.learned.weights, DEFAULTS) < 0.02


# --------------------------------------------------------------------------- command line


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@dataclasses.dataclass
class _Done:
    returncode: int
    stdout: str
    stderr: str


def _run(*args: str | Path) -> _Done:
    """The command line's ``main``, in this process (the subprocess start is tested in
    test_cli.py), with what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return _Done(code, out.getvalue(), err.getvalue())


def test_learn_then_propose_with_the_weights_keeps_the_hard_rules(
    tmp_path: Path, pool: tuple[list[Any], list[Any]], picks: list[CoordinatorDecision]
) -> None:
    hosts, newcomers = pool
    hosts_file = _write_jsonl(
        tmp_path / "h.jsonl",
        [{k: _plain(v) for k, v in dataclasses.asdict(h).items()} for h in hosts],
    )
    newcomers_file = _write_jsonl(
        tmp_path / "n.jsonl",
        [{k: _plain(v) for k, v in dataclasses.asdict(n).items()} for n in newcomers],
    )
    # The learned taste favours the same area: reject, for twenty newcomers, the best host in
    # their own area; a host declines one more. None of them may come back.
    hosts_read, newcomers_read = read_hosts(hosts_file), read_newcomers(newcomers_file)
    area = {h.id: h.area for h in hosts_read}
    home = {n.id: n.area for n in newcomers_read}
    refused: list[CoordinatorDecision] = []
    for proposal in propose(hosts_read, newcomers_read, top_k=10):
        same = [c.host for c in proposal.candidates if area[c.host] == home[proposal.newcomer]]
        if same and len(refused) < 20:
            refused.append(CoordinatorDecision(proposal.newcomer, same[0], "rejected"))
    refused.append(CoordinatorDecision(refused[0].newcomer, picks[0].host, "declined"))
    decided = {(d.newcomer, d.host) for d in refused}
    decisions = [d for d in picks if (d.newcomer, d.host) not in decided] + refused
    decisions_file = _write_jsonl(
        tmp_path / "d.jsonl", [{**d.to_dict(), "rating": 4} for d in decisions[:5]]
    )
    with decisions_file.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d.to_dict()) + "\n" for d in decisions[5:])
    out = tmp_path / "w.json"

    done = _run(
        "learn", "--hosts", hosts_file, "--newcomers", newcomers_file,
        "--decisions", decisions_file, "--out", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "learned" in done.stdout
    learned = LearnedWeights.read(out)
    assert learned.learned and learned.n_decisions == len(decisions)
    assert learned.weights.area > DEFAULTS.area

    done = _run(
        "propose", "--hosts", hosts_file, "--newcomers", newcomers_file, "--weights", out,
        "--decisions", decisions_file, "--top", "10", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    shown = {(line["newcomer"], c["host"]) for line in lines for c in line["candidates"]}
    assert not shown & {(d.newcomer, d.host) for d in refused}
    # Scores are the learned weights' sums: the file was used as written.
    for line in lines[:20]:
        for c in line["candidates"]:
            expected = sum(getattr(learned.weights, k) * c["components"][k] for k in COMPONENTS)
            assert c["score"] == pytest.approx(expected, abs=2e-3)
    # The same proposals checked independently: languages, capacity, history.
    proposals = propose(
        hosts_read, newcomers_read, [HistoryEntry(d.newcomer, d.host, "rejected") for d in refused],
        top_k=10, weights=learned.weights,
    )  # fmt: skip
    history = [HistoryEntry(d.newcomer, d.host, "rejected") for d in refused]
    assert hard_rule_violations(proposals, hosts_read, newcomers_read, history) == []


def test_learn_and_propose_refuse_bad_files(tmp_path: Path) -> None:
    hosts = _write_jsonl(tmp_path / "h.jsonl", [{"id": "H1", "languages": ["sv"]}])
    newcomers = _write_jsonl(tmp_path / "n.jsonl", [{"id": "N1", "languages": ["sv"]}])
    decisions = _write_jsonl(
        tmp_path / "d.jsonl", [{"newcomer": "N1", "host": "H1", "decision": "maybe"}]
    )
    done = _run(
        "learn", "--hosts", hosts, "--newcomers", newcomers, "--decisions", decisions,
        "--out", tmp_path / "w.json",
    )  # fmt: skip
    assert done.returncode == 2
    assert "d.jsonl:1: unknown decision 'maybe'" in done.stderr
    weights = tmp_path / "bad.json"
    weights.write_text(json.dumps({"version": 1, "weights": {"area": 1}}), "utf-8")
    done = _run("propose", "--hosts", hosts, "--newcomers", newcomers, "--weights", weights)
    assert done.returncode == 2
    assert "bad.json" in done.stderr and "missing" in done.stderr
    # Too few decisions: the file says so and holds the defaults.
    _write_jsonl(decisions, [{"newcomer": "N1", "host": "H1", "decision": "approved"}])
    done = _run(
        "learn", "--hosts", hosts, "--newcomers", newcomers, "--decisions", decisions,
        "--out", tmp_path / "w.json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = LearnedWeights.read(tmp_path / "w.json")
    assert not written.learned and written.n_decisions == 1
    assert _distance(written.weights, DEFAULTS) < 1e-6
