"""Learn the score's weights from coordinators' decisions, shrunk toward the defaults.

Coordinators approve a proposal, reject it (with a reason), or pick another host; hosts
accept or decline; follow-ups rate the fit from 1 to 5. Each decision says that one host
suited a newcomer better, or worse, than the others the coordinator saw. The learner turns
that into pairs "this host rather than that one" and fits a logistic model on the
difference of their score parts (``matching.scoring.COMPONENTS``): a pairwise ranking model,
so only the weights' proportions matter, which is all the matcher uses.

What each decision says (its strength in brackets):

- ``approved`` and ``picked`` (1): the host was preferred over each alternative the
  coordinator saw (the newcomer's other top candidates) and over any host rejected or
  declined for the same newcomer;
- ``accepted`` (0.5): the same, weaker: the host agreed, the coordinator had already chosen;
- ``rejected`` (1) and ``declined`` (0.5): each alternative was preferred over this host;
- ``rating`` 1-5: 4 and 5 add to the pair's positive side (0.5, 1), 1 and 2 to its
  negative side; 3 says nothing. A pair's signals add up, so an approval rated 1 is neutral.

Shrinkage. The model's coefficients are ``scale * defaults + delta``: ``scale`` is free (it
is the model's temperature, not a preference) and ``delta``, the departure from the
documented defaults, carries an L2 penalty. With few decisions the penalty wins and the
weights stay at the defaults; with many, the decisions do. The fitted weights (clipped at 0,
scaled to sum to 1, so a score stays in [0, 1]) are then blended with the defaults in
proportion ``n : prior_decisions``: the defaults count as that many decisions of their own,
so 10 decisions move each weight at most a quarter of the way. Below ``min_decisions`` the
defaults are returned without fitting.

Hard rules are not weights: a shared language, the hosts' status and capacity, a gender
asked for as a must, and every rejected or declined pair (the history) are applied by
``propose`` whatever the weights are, so no learned weight can bring such a pair back.

``W.json`` (``LearnedWeights.to_dict``)::

    {"version": 1,
     "weights": {"interests": 0.5, "text": 0.15, "age": 0.075, "household": 0.075,
                 "area": 0.08, "wishes": 0.12},
     "n_decisions": 150, "trained_at": "2026-12-05T21:30:00+00:00", "learned": true}

``learned`` is false when there were too few decisions (the weights are then the defaults).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn.linear_model import LogisticRegression

from matching.features import build_features
from matching.normalizer import InterestNormalizer, default_normalizer
from matching.profiles import HostProfile, NewcomerProfile, ProfileError, _read_jsonl, unique_ids
from matching.scoring import COMPONENTS, Weights, components, rescore, shortlist

__all__ = [
    "DECISION_KINDS",
    "FORMAT_VERSION",
    "MIN_DECISIONS",
    "CoordinatorDecision",
    "LearnedWeights",
    "PairwiseData",
    "WeightLearner",
    "WeightsError",
    "default_weights",
    "learn_weights",
    "pairwise_data",
    "read_decisions",
    "weights_from_mapping",
]

FORMAT_VERSION = 1
DECISION_KINDS = ("approved", "rejected", "picked", "accepted", "declined")
DecisionKind = Literal["approved", "rejected", "picked", "accepted", "declined"]
# Signed strength of each decision (see the module's docstring).
SIGNAL: Mapping[str, float] = {
    "approved": 1.0,
    "picked": 1.0,
    "accepted": 0.5,
    "rejected": -1.0,
    "declined": -0.5,
}
# Fewer decisions than this: the defaults, unfitted.
MIN_DECISIONS = 30
# The alternatives a coordinator saw beside a decided host: the newcomer's best candidates.
ALTERNATIVES = 5
# Inverse strength of the L2 penalty on the departure from the defaults (scikit-learn's C).
SHRINKAGE_C = 0.1
# The fitted weights are blended with the defaults in proportion n : PRIOR_DECISIONS, as if
# the defaults had been learned from this many decisions of their own.
PRIOR_DECISIONS = 30
# The defaults' column is scaled by this, so its coefficient is in effect not penalised.
_FREE_SCALE = 1000.0


class WeightsError(ValueError):
    """A weights file or mapping that cannot be used (wrong version, missing or bad weight)."""


def default_weights() -> Weights:
    """The documented default weights (``matching.scoring.Weights()``)."""
    return Weights()


def _vector(weights: Weights) -> np.ndarray:
    return np.array([getattr(weights, name) for name in COMPONENTS], dtype=np.float64)


def weights_from_mapping(values: Mapping[str, Any], base: Weights | None = None) -> Weights:
    """Weights from ``{component: weight}``: every part of ``COMPONENTS``, finite, not
    negative, not all zero; scaled to sum to 1. Shape parameters come from ``base``."""
    missing = [name for name in COMPONENTS if name not in values]
    unknown = sorted(set(values) - set(COMPONENTS))
    if missing or unknown:
        raise WeightsError(
            f"weights must name exactly {', '.join(COMPONENTS)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    parsed: dict[str, float] = {}
    for name in COMPONENTS:
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WeightsError(f"weight {name!r} is not a number: {value!r}")
        if not math.isfinite(value) or value < 0:
            raise WeightsError(f"weight {name!r} must be a finite number >= 0, not {value!r}")
        parsed[name] = float(value)
    total = sum(parsed.values())
    if total <= 0:
        raise WeightsError("at least one weight must be above 0")
    return replace(base or Weights(), **{k: v / total for k, v in parsed.items()})


@dataclass(frozen=True)
class LearnedWeights:
    """The weights ``propose`` uses, and where they came from (the ``W.json`` file)."""

    weights: Weights
    n_decisions: int
    trained_at: datetime
    learned: bool
    version: int = FORMAT_VERSION

    def as_mapping(self) -> dict[str, float]:
        """``{component: weight}`` in ``COMPONENTS`` order."""
        return {name: float(getattr(self.weights, name)) for name in COMPONENTS}

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``W.json``."""
        return {
            "version": self.version,
            "weights": {k: round(v, 6) for k, v in self.as_mapping().items()},
            "n_decisions": self.n_decisions,
            "trained_at": self.trained_at.isoformat(),
            "learned": self.learned,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearnedWeights:
        """Read ``W.json``'s object; WeightsError when it is not one this version writes."""
        if not isinstance(data, Mapping):
            raise WeightsError("a weights file holds one JSON object")
        if data.get("version") != FORMAT_VERSION:
            raise WeightsError(
                f"unknown weights version {data.get('version')!r} (expected {FORMAT_VERSION})"
            )
        values = data.get("weights")
        if not isinstance(values, Mapping):
            raise WeightsError('"weights" must be an object of component -> weight')
        n = data.get("n_decisions", 0)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise WeightsError(f'"n_decisions" must be a whole number >= 0, not {n!r}')
        weights = weights_from_mapping(values)
        try:
            trained_at = datetime.fromisoformat(str(data.get("trained_at")))
        except ValueError as exc:
            raise WeightsError(
                f'"trained_at" is not an ISO time: {data.get("trained_at")!r}'
            ) from exc
        if trained_at.tzinfo is None:
            trained_at = trained_at.replace(tzinfo=UTC)
        return cls(
            weights=weights,
            n_decisions=n,
            trained_at=trained_at,
            learned=bool(data.get("learned", True)),
        )

    def dumps(self) -> str:
        """``W.json``'s text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write(self, path: str | Path) -> None:
        """Write ``W.json``."""
        Path(path).write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def read(cls, path: str | Path) -> LearnedWeights:
        """Read ``W.json``; WeightsError when it is not valid JSON of this format."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise WeightsError(f"{path}: not JSON ({exc})") from exc
        try:
            return cls.from_dict(data)
        except WeightsError as exc:
            raise WeightsError(f"{path}: {exc}") from exc

    @classmethod
    def defaults(cls, n_decisions: int = 0, trained_at: datetime | None = None) -> LearnedWeights:
        """The documented defaults, as a weights file that learned nothing."""
        return cls(default_weights(), n_decisions, trained_at or datetime.now(UTC), False)


@dataclass(frozen=True)
class CoordinatorDecision:
    """One decision on a pair: ``{"newcomer", "host", "decision", "rating"?}``."""

    newcomer: str
    host: str
    decision: DecisionKind
    rating: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoordinatorDecision:
        """Build a decision from one JSON line's fields."""
        decision = str(data.get("decision") or "").strip().casefold()
        if decision not in DECISION_KINDS:
            raise ProfileError(f"unknown decision {decision!r} (expected one of {DECISION_KINDS})")
        newcomer = str(data.get("newcomer") or "").strip()
        host = str(data.get("host") or "").strip()
        if not newcomer or not host:
            raise ProfileError("a decision needs a newcomer and a host")
        rating = data.get("rating")
        if rating is not None and (
            isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
        ):
            raise ProfileError(f"rating must be a whole number from 1 to 5, not {rating!r}")
        return cls(newcomer, host, decision, rating)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """The JSON line of this decision."""
        out: dict[str, Any] = {
            "newcomer": self.newcomer,
            "host": self.host,
            "decision": self.decision,
        }
        if self.rating is not None:
            out["rating"] = self.rating
        return out

    @property
    def signal(self) -> float:
        """Signed strength: above 0 the pair was preferred, below 0 passed over."""
        value = SIGNAL[self.decision]
        if self.rating is not None:
            value += (self.rating - 3) / 2
        return value

    @property
    def is_hard_no(self) -> bool:
        """A rejected or declined pair: never proposed again, whatever the weights."""
        return self.decision in ("rejected", "declined")


def read_decisions(path: str | Path) -> list[CoordinatorDecision]:
    """Read decisions, one JSON object a line."""
    return list(_read_jsonl(path, CoordinatorDecision.from_dict))


@dataclass
class PairwiseData:
    """Pairs "better host rather than worse host" as differences of score parts.

    ``X[k] = parts(better) - parts(worse)`` (columns ``COMPONENTS``) with strength
    ``sample_weight[k]``; ``n_decisions`` counts the decisions that took part.
    """

    X: np.ndarray
    sample_weight: np.ndarray
    n_decisions: int
    newcomers: int = 0
    skipped: list[str] = field(default_factory=list)


def pairwise_data(
    hosts: Sequence[HostProfile],
    newcomers: Sequence[NewcomerProfile],
    decisions: Iterable[CoordinatorDecision],
    *,
    seen: Weights | None = None,
    alternatives: int = ALTERNATIVES,
    normalizer: InterestNormalizer | None = None,
) -> PairwiseData:
    """The learner's pairs for ``decisions`` over this pool.

    The alternatives a coordinator saw are the newcomer's ``alternatives`` best candidates
    under ``seen`` (the weights proposals were ranked with; defaults if None), by the same
    hard rules ``propose`` applies (a shared language, no rejected or declined pair).
    Decisions naming a newcomer or host not in the pool are skipped (listed in ``skipped``).
    """
    unique_ids(hosts, "host")
    unique_ids(newcomers, "newcomer")
    w = seen or default_weights()
    norm = normalizer if normalizer is not None else default_normalizer()
    host_row = {h.id: j for j, h in enumerate(hosts)}
    newcomer_row = {n.id: i for i, n in enumerate(newcomers)}

    signal: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    blocked: dict[int, list[int]] = defaultdict(list)
    used = 0
    skipped: list[str] = []
    for decision in decisions:
        i, j = newcomer_row.get(decision.newcomer), host_row.get(decision.host)
        if i is None or j is None:
            skipped.append(f"{decision.newcomer}/{decision.host}")
            continue
        used += 1
        signal[i][j] += decision.signal
        if decision.is_hard_no:
            blocked[i].append(j)
    empty = PairwiseData(np.zeros((0, len(COMPONENTS))), np.zeros(0), used, 0, skipped)
    if not signal or not hosts:
        return empty

    pool = build_features(hosts, newcomers, norm, w.parent_share, w.free_tag)
    rows = sorted(signal)
    # Shortlist only the decided newcomers: the alternatives they were shown.
    sub_blocked = {k: blocked[i] for k, i in enumerate(rows) if i in blocked}
    sub = _subset_newcomers(pool, rows)
    short = shortlist(sub, w, sub_blocked, max(alternatives + 5, 10))
    total = rescore(sub, w, short)
    order = np.argsort(-total, axis=1, kind="stable")

    better: list[tuple[int, int]] = []
    worse: list[tuple[int, int]] = []
    strength: list[float] = []
    for k, i in enumerate(rows):
        decided = signal[i]
        ranked = [
            int(short.hosts[k, c])
            for c in order[k]
            if np.isfinite(total[k, c]) and short.hosts[k, c] >= 0
        ]
        shown = [j for j in ranked if j not in decided][:alternatives]
        good = {j: s for j, s in decided.items() if s > 0}
        bad = {j: -s for j, s in decided.items() if s < 0}
        for j, s in good.items():
            for other in [*shown, *bad]:
                better.append((i, j))
                worse.append((i, other))
                strength.append(s)
        for j, s in bad.items():
            for other in shown:
                better.append((i, other))
                worse.append((i, j))
                strength.append(s)
    if not better:
        return PairwiseData(empty.X, empty.sample_weight, used, len(rows), skipped)
    ni = np.array([p[0] for p in better] + [p[0] for p in worse], dtype=np.int64)
    hj = np.array([p[1] for p in better] + [p[1] for p in worse], dtype=np.int64)
    parts = components(pool, w, ni, hj)
    matrix = np.column_stack([parts[name].astype(np.float64) for name in COMPONENTS])
    half = len(better)
    return PairwiseData(
        X=matrix[:half] - matrix[half:],
        sample_weight=np.array(strength, dtype=np.float64),
        n_decisions=used,
        newcomers=len(rows),
        skipped=skipped,
    )


def _subset_newcomers(pool: Any, rows: Sequence[int]) -> Any:
    """The pool with only the newcomers at ``rows`` (same columns, same vocabularies)."""
    nc = pool.newcomers
    index = np.asarray(rows, dtype=np.int64)
    picked = {}
    for f in fields(nc):
        value = getattr(nc, f.name)
        if isinstance(value, list):
            picked[f.name] = [value[r] for r in rows]
        elif (
            hasattr(value, "shape") and getattr(value, "ndim", 2) >= 1 and value.shape[0] == len(nc)
        ):
            picked[f.name] = value[index]
        else:
            picked[f.name] = value
    return replace(pool, newcomers=replace(nc, **picked))


class WeightLearner:
    """Pairwise logistic model over the score's parts, shrunk toward ``defaults``.

    Parameters: ``defaults`` (the prior and the answer below ``min_decisions``),
    ``min_decisions``, ``C`` (inverse strength of the L2 penalty on the departure from the
    defaults), ``prior_decisions`` (how many decisions the defaults count as in the final
    blend). Learned attributes: ``weights_`` (a ``Weights``), ``learned_`` (False when
    the defaults were returned), ``n_decisions_``, ``coef_`` (the model's coefficients per
    component) and ``scale_`` (the defaults' share of them).
    """

    def __init__(
        self,
        defaults: Weights | None = None,
        *,
        min_decisions: int = MIN_DECISIONS,
        C: float = SHRINKAGE_C,
        prior_decisions: int = PRIOR_DECISIONS,
    ) -> None:
        self.defaults = defaults
        self.min_decisions = min_decisions
        self.C = C
        self.prior_decisions = prior_decisions

    def fit(self, data: PairwiseData) -> WeightLearner:
        """Fit on ``data``; returns self."""
        prior = self.defaults or default_weights()
        w0 = _vector(prior)
        self.n_decisions_ = data.n_decisions
        self.weights_ = prior
        self.learned_ = False
        self.coef_ = np.zeros(len(COMPONENTS))
        self.scale_ = 0.0
        if data.n_decisions < self.min_decisions or len(data.X) == 0:
            return self
        # The defaults' direction as one extra column, scaled so its coefficient is in
        # effect free: the model chooses its temperature and pays only for departing.
        z = (data.X @ w0)[:, None] * _FREE_SCALE
        features = np.hstack([data.X, z])
        # Each pair both ways round: a model without intercept sees both labels.
        X = np.vstack([features, -features])
        y = np.concatenate([np.ones(len(features)), np.zeros(len(features))])
        sw = np.concatenate([data.sample_weight, data.sample_weight])
        model = LogisticRegression(C=self.C, fit_intercept=False, max_iter=1000)
        model.fit(X, y, sample_weight=sw)
        delta = model.coef_[0][: len(COMPONENTS)]
        scale = float(model.coef_[0][-1]) * _FREE_SCALE
        coef = scale * w0 + delta
        self.coef_ = coef
        self.scale_ = scale
        positive = np.clip(coef, 0.0, None)
        if scale <= 0 or positive.sum() <= 0:
            # The decisions run against the defaults as a whole: too odd to trust.
            return self
        fitted = positive / positive.sum()
        share = data.n_decisions / (data.n_decisions + self.prior_decisions)
        blended = share * fitted + (1.0 - share) * (w0 / w0.sum())
        self.weights_ = weights_from_mapping(
            {name: float(v) for name, v in zip(COMPONENTS, blended, strict=True)}, prior
        )
        self.learned_ = True
        return self


def learn_weights(
    hosts: Sequence[HostProfile],
    newcomers: Sequence[NewcomerProfile],
    decisions: Iterable[CoordinatorDecision],
    *,
    seen: Weights | None = None,
    defaults: Weights | None = None,
    min_decisions: int = MIN_DECISIONS,
    now: datetime | None = None,
    normalizer: InterestNormalizer | None = None,
) -> LearnedWeights:
    """Learn weights from ``decisions`` over this pool (see the module's docstring).

    ``seen``: the weights the proposals were ranked with when the decisions were made
    (defaults if None); ``defaults``: the prior. Fewer than ``min_decisions`` usable
    decisions give the defaults with ``learned`` false.
    """
    data = pairwise_data(hosts, newcomers, list(decisions), seen=seen, normalizer=normalizer)
    learner = WeightLearner(defaults, min_decisions=min_decisions).fit(data)
    return LearnedWeights(
        weights=learner.weights_,
        n_decisions=learner.n_decisions_,
        trained_at=now or datetime.now(UTC),
        learned=learner.learned_,
    )
