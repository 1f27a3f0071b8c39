"""``python -m matching``: run as a user would, on small files written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT

HOSTS = [
    {
        "id": "H1",
        "birth_year": 1965,
        "area": "Krylbo",
        "household": "family",
        "languages": ["sv", "ar"],
        "interests": ["Fiske", "bandy", "laga mat"],
        "past": "Jag har jobbat på bruket i trettio år.",
        "present": "Jag fiskar i Dalälven och går på bandy.",
        "future": "Vill gärna visa nya grannar runt.",
        "thoughts": "Gärna familjer med barn.",
        "capacity": 1,
    },
    {
        "id": "H2",
        "birth_year": 1990,
        "area": "Fors",
        "household": "single",
        "languages": ["sv", "en"],
        "interests": ["padel", "brädspel"],
        "past": "",
        "present": "Spelar padel tre gånger i veckan.",
        "future": "",
        "thoughts": "",
        "capacity": 2,
    },
    {
        "id": "H3",
        "birth_year": 1970,
        "area": "Krylbo",
        "household": "family",
        "languages": ["sv", "ar"],
        "interests": ["fiske", "bandy"],
        "past": "",
        "present": "",
        "future": "",
        "thoughts": "",
        "capacity": 1,
        "status": "paused",
    },
]
NEWCOMERS = [
    {
        "id": "N1",
        "birth_year": 1968,
        "area": "Krylbo",
        "household": "family",
        "languages": ["ar"],
        "interests": ["fly fishing", "baandy"],
        "past": "I worked as an engineer.",
        "present": "We like fishing and watching bandy.",
        "future": "",
        "moved_in": "2026-02-01",
    },
    {
        "id": "N2",
        "birth_year": 1993,
        "area": "Fors",
        "household": "single",
        "languages": ["en"],
        "interests": ["board games", "padel"],
        "past": "",
        "present": "",
        "future": "",
        "moved_in": "2026-03-01",
    },
    {
        "id": "N3",
        "birth_year": 1980,
        "area": "Fors",
        "household": "couple",
        "languages": ["fi"],
        "interests": ["sauna"],
        "past": "",
        "present": "",
        "future": "",
        "moved_in": "2026-01-01",
    },
]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "hosts": write_jsonl(tmp_path / "hosts.jsonl", HOSTS),
        "newcomers": write_jsonl(tmp_path / "newcomers.jsonl", NEWCOMERS),
    }


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_propose_json_lines(files: dict[str, Path]) -> None:
    done = run("propose", "--hosts", files["hosts"], "--newcomers", files["newcomers"], "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["newcomer"] for line in lines] == ["N1", "N2", "N3"]
    first = lines[0]
    assert first["assigned"] == "H1"
    assert set(first) == {"newcomer", "assigned", "candidates"}
    best = first["candidates"][0]
    assert set(best) == {
        "host",
        "score",
        "fit",
        "fit_band",
        "components",
        "reasons",
        "reason_codes",
    }
    assert best["host"] == "H1" and isinstance(best["score"], float)
    assert best["fit"] == round(best["score"] * 100)
    # ``reasons`` stay Swedish strings; ``reason_codes`` carry the same reasons as data.
    assert all(isinstance(r, str) for r in best["reasons"])
    assert len(best["reason_codes"]) == len(best["reasons"])
    assert {"code": "shared_language", "params": {"languages": ["ar", "sv"]}} in best[
        "reason_codes"
    ] or any(c["code"] == "shared_language" for c in best["reason_codes"])
    assert set(best["components"]) == {"interests", "text", "age", "household", "area", "wishes"}
    assert "Båda talar arabiska" in best["reasons"]
    assert "Båda bor i Krylbo" in best["reasons"]
    assert any(r.startswith("Båda gillar") and "fiske" in r for r in best["reasons"])
    # The paused host is never proposed; the Finnish speaker shares no language with anyone.
    assert all(c["host"] != "H3" for line in lines for c in line["candidates"])
    assert lines[1]["assigned"] == "H2"
    assert lines[2] == {"newcomer": "N3", "assigned": None, "candidates": []}


def test_propose_in_english_and_top(files: dict[str, Path]) -> None:
    done = run(
        "propose",
        "--hosts",
        files["hosts"],
        "--newcomers",
        files["newcomers"],
        "--json",
        "--lang",
        "en",
        "--top",
        "1",
    )
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert len(first["candidates"]) == 1
    assert "Both speak Arabic" in first["candidates"][0]["reasons"]


def test_propose_readable_text(files: dict[str, Path]) -> None:
    done = run("propose", "--hosts", files["hosts"], "--newcomers", files["newcomers"])
    assert done.returncode == 0, done.stderr
    assert "N1 → H1" in done.stdout
    assert "N3 → ingen värd" in done.stdout
    assert "Båda talar arabiska" in done.stdout


def test_history_keeps_a_pair_apart(files: dict[str, Path], tmp_path: Path) -> None:
    history = write_jsonl(
        tmp_path / "history.jsonl", [{"newcomer": "N1", "host": "H1", "decision": "rejected"}]
    )
    done = run(
        "propose",
        "--hosts",
        files["hosts"],
        "--newcomers",
        files["newcomers"],
        "--history",
        history,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert first["assigned"] != "H1"
    assert all(c["host"] != "H1" for c in first["candidates"])


def test_evaluate(files: dict[str, Path], tmp_path: Path) -> None:
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"N1": "H1", "N2": "H2"}), "utf-8")
    done = run(
        "evaluate",
        "--hosts",
        files["hosts"],
        "--newcomers",
        files["newcomers"],
        "--truth",
        truth,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["recall_at_1"] == 1.0
    assert result["recall_at_3"] == 1.0
    assert result["assigned_to_planted"] == 1.0
    assert result["violations"] == 0
    text = run(
        "evaluate",
        "--hosts",
        files["hosts"],
        "--newcomers",
        files["newcomers"],
        "--truth",
        truth,
        "--lang",
        "en",
    )
    assert text.returncode == 0, text.stderr
    assert "recall@1: 1.000" in text.stdout
    assert "recall@3: 1.000" in text.stdout
    assert "share assigned to planted host: 1.000" in text.stdout
    assert "hard-rule violations: 0" in text.stdout


def test_bad_input_is_reported_with_the_line(tmp_path: Path, files: dict[str, Path]) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "H1", "languages": ["sv"]}\n{"id": "H2", "capacity": "many"}\n')
    done = run("propose", "--hosts", broken, "--newcomers", files["newcomers"])
    assert done.returncode == 2
    assert "broken.jsonl:2" in done.stderr
    missing = run("propose", "--hosts", tmp_path / "nope.jsonl", "--newcomers", broken)
    assert missing.returncode == 2
    assert "nope.jsonl" in missing.stderr
    history = write_jsonl(
        tmp_path / "h.jsonl", [{"newcomer": "N1", "host": "H1", "decision": "maybe"}]
    )
    done = run(
        "propose",
        "--hosts",
        files["hosts"],
        "--newcomers",
        files["newcomers"],
        "--history",
        history,
    )
    assert done.returncode == 2
    assert "unknown decision" in done.stderr


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("evaluate", "--hosts", "x", "--newcomers", "y").returncode == 2
