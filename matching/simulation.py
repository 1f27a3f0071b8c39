"""A simulated coordinator, to measure what learning from decisions gains.

The coordinator has hidden preferences: multipliers on the default weights (the issue's
example: the same area counts three times as much, closeness in age twice). Shown a
newcomer's ``top`` best candidates, they pick the one with the highest hidden utility (the
weighted score parts, plus a fixed personal noise per pair: people are not perfectly
consistent). On a generated pool, half the newcomers' picks are the decisions the learner
sees; on the other half we count how often the matcher's best candidate is the pick, with
the default weights and with the learned ones. Each matcher shows its own top candidates,
as the "Att matcha" page does.

A control coordinator whose preferences are the defaults' own (no multipliers) checks that
learning then changes nothing that matters.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from matching.engine import Candidate, propose
from matching.learning import MIN_DECISIONS, CoordinatorDecision, LearnedWeights, learn_weights
from matching.profiles import HostProfile, NewcomerProfile
from matching.scoring import COMPONENTS, Weights
from matching.synth import generate_pool

__all__ = [
    "HIDDEN_PREFERENCES",
    "SimulatedCoordinator",
    "SimulationResult",
    "simulate",
]

# The coordinator: same area x3, closeness in age x2, the rest as the defaults.
HIDDEN_PREFERENCES: Mapping[str, float] = {"area": 3.0, "age": 2.0}


@dataclass(frozen=True)
class SimulatedCoordinator:
    """Picks from shown candidates by hidden preferences (``multipliers`` on ``defaults``)."""

    multipliers: Mapping[str, float] = field(default_factory=dict)
    noise: float = 0.01
    seed: int = 0
    defaults: Weights = field(default_factory=Weights)

    def utility(self, newcomer: str, candidate: Candidate) -> float:
        """The hidden utility of a candidate for this newcomer."""
        value = sum(
            getattr(self.defaults, name)
            * self.multipliers.get(name, 1.0)
            * candidate.components.get(name, 0.0)
            for name in COMPONENTS
        )
        # The same pair always gets the same personal noise (a str seed is stable).
        jitter = random.Random(f"{self.seed}:{newcomer}:{candidate.host}").gauss(0.0, 1.0)
        return value + self.noise * jitter

    def pick(self, newcomer: str, shown: Sequence[Candidate]) -> str | None:
        """The host picked among ``shown`` (None when nothing is shown)."""
        if not shown:
            return None
        return max(shown, key=lambda c: (self.utility(newcomer, c), c.host)).host


@dataclass(frozen=True)
class SimulationResult:
    """Agreement on the evaluation half: how often the best candidate is the pick."""

    seed: int
    train: int
    evaluated: int
    default_agreement: float
    learned_agreement: float
    learned: LearnedWeights
    # Newcomers where only the learned matcher's best was the pick, and where only the
    # default's was (the discordant pairs of a paired test).
    learned_only: int = 0
    default_only: int = 0

    @property
    def gain_points(self) -> float:
        """Learned minus default agreement, in percentage points."""
        return 100.0 * (self.learned_agreement - self.default_agreement)


def _agreement(
    coordinator: SimulatedCoordinator, proposals: Mapping[str, Sequence[Candidate]], top: int
) -> dict[str, bool]:
    """Newcomer -> whether the pick among the shown candidates is the first of them."""
    hits: dict[str, bool] = {}
    for newcomer, candidates in proposals.items():
        shown = list(candidates[:top])
        pick = coordinator.pick(newcomer, shown)
        if pick is not None:
            hits[newcomer] = pick == shown[0].host
    return hits


def _candidates(
    hosts: Sequence[HostProfile],
    newcomers: Sequence[NewcomerProfile],
    ids: set[str],
    top: int,
    weights: Weights | None,
) -> dict[str, list[Candidate]]:
    found = propose(hosts, newcomers, top_k=top, weights=weights)
    return {p.newcomer: p.candidates for p in found if p.newcomer in ids}


def simulate(
    *,
    seed: int = 1,
    n_newcomers: int = 300,
    n_hosts: int = 400,
    train_share: float = 0.5,
    top: int = 5,
    multipliers: Mapping[str, float] = HIDDEN_PREFERENCES,
    noise: float = 0.01,
    min_decisions: int | None = None,
) -> SimulationResult:
    """One run: generate a pool, collect picks on the training half, learn, evaluate."""
    pool = generate_pool(n_hosts, n_newcomers, seed=seed)
    hosts = [h for h in pool.hosts if h.status == "active" and h.free_capacity > 0]
    newcomers = pool.newcomers
    order = [n.id for n in newcomers]
    random.Random(seed).shuffle(order)
    cut = int(len(order) * train_share)
    train, test = set(order[:cut]), set(order[cut:])
    coordinator = SimulatedCoordinator(multipliers, noise=noise, seed=seed)

    shown_default = _candidates(hosts, newcomers, train | test, top, None)
    decisions = []
    for newcomer in sorted(train):
        shown = shown_default.get(newcomer, [])
        pick = coordinator.pick(newcomer, shown)
        if pick is not None:
            kind = "approved" if pick == shown[0].host else "picked"
            decisions.append(CoordinatorDecision(newcomer, pick, kind))  # type: ignore[arg-type]
    learned = learn_weights(
        hosts,
        newcomers,
        decisions,
        min_decisions=MIN_DECISIONS if min_decisions is None else min_decisions,
    )

    by_default = _agreement(coordinator, {k: v for k, v in shown_default.items() if k in test}, top)
    by_learned = _agreement(
        coordinator, _candidates(hosts, newcomers, test, top, learned.weights), top
    )
    # The same newcomers have candidates under both (the hard rules do not depend on weights).
    both = sorted(by_default.keys() & by_learned.keys())
    evaluated = max(len(both), 1)
    return SimulationResult(
        seed=seed,
        train=len(decisions),
        evaluated=len(both),
        default_agreement=sum(by_default[k] for k in both) / evaluated,
        learned_agreement=sum(by_learned[k] for k in both) / evaluated,
        learned=learned,
        learned_only=sum(by_learned[k] and not by_default[k] for k in both),
        default_only=sum(by_default[k] and not by_learned[k] for k in both),
    )
