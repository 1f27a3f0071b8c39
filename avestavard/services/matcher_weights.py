"""The matcher's weights: learned nightly from coordinators' decisions, reset by a coordinator.

Decisions are read from what the services already record:

- a match approved from a proposal is ``approved``, one picked by hand ``picked``;
- a host's yes is ``accepted``, a host's no ``declined``;
- a rejected proposal is ``rejected`` (its reason stays with the proposal);
- follow-up answers (fit 1-5, both sides averaged) are the ``rating`` of the approval.

Approvals undone within the hold and pairs imported from the old workbook are not decisions.
The learner (:func:`matching.learn_weights`) runs in this process over the profiles of the
hosts and of the decided newcomers; nothing is written to files. Rejected and declined pairs
also stay hard rules for the matcher (:func:`avestavard.services.matching_adapter.pair_history`),
whatever the weights.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from avestavard.models import AuditAction, Host, Newcomer
from avestavard.models.matches import (
    Match,
    MatchFollowUp,
    MatchProposal,
    MatchState,
    ProposalStatus,
)
from avestavard.models.weights import MatcherWeights, WeightsSource
from avestavard.services import audit, matching_adapter
from avestavard.services.audit import Actor, SystemActor
from avestavard.services.authorization import require_coordinator
from avestavard.services.reading import matcher_normalizer


@dataclass(frozen=True)
class LearnSettings:
    """When the nightly refit runs and when learned weights are used."""

    min_new_decisions: int = 20
    min_decisions: int = matching.learning.MIN_DECISIONS

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LearnSettings:
        """Read ``MATCH_LEARN_MIN_NEW_DECISIONS`` and ``MATCH_LEARN_MIN_DECISIONS``."""
        return cls(
            min_new_decisions=max(1, int(config.get("MATCH_LEARN_MIN_NEW_DECISIONS", 20))),
            min_decisions=max(1, int(config.get("MATCH_LEARN_MIN_DECISIONS", cls.min_decisions))),
        )


def recorded_decisions(session: Session) -> list[matching.CoordinatorDecision]:
    """Every decision on a pair the services recorded, as the learner reads them."""
    out: list[matching.CoordinatorDecision] = []
    for newcomer_id, host_id in session.execute(
        select(MatchProposal.newcomer_id, MatchProposal.host_id)
        .where(MatchProposal.status == ProposalStatus.REJECTED)
        .order_by(MatchProposal.id)
    ):
        out.append(matching.CoordinatorDecision(str(newcomer_id), str(host_id), "rejected"))
    fits: dict[int, list[int]] = defaultdict(list)
    for match_id, fit in session.execute(
        select(MatchFollowUp.match_id, MatchFollowUp.fit).where(MatchFollowUp.fit.is_not(None))
    ):
        if fit is not None:
            fits[match_id].append(fit)
    matches = session.execute(
        select(
            Match.id, Match.newcomer_id, Match.host_id, Match.source, Match.state, Match.accepted_at
        )
        .where(Match.source != "import", Match.state != MatchState.UNDONE)
        .order_by(Match.id)
    ).all()
    for match_id, newcomer_id, host_id, source, state, accepted_at in matches:
        n, h = str(newcomer_id), str(host_id)
        rated = fits.get(match_id)
        rating = round(sum(rated) / len(rated)) if rated else None
        kind = "picked" if source == "coordinator" else "approved"
        out.append(matching.CoordinatorDecision(n, h, kind, rating))  # type: ignore[arg-type]
        if accepted_at is not None:
            out.append(matching.CoordinatorDecision(n, h, "accepted"))
        if state == MatchState.DECLINED:
            out.append(matching.CoordinatorDecision(n, h, "declined"))
    return out


def current_row(session: Session) -> MatcherWeights | None:
    """The newest weights row (None: the matcher has always used the defaults)."""
    return session.scalar(select(MatcherWeights).order_by(MatcherWeights.id.desc()).limit(1))


def current_weights(session: Session) -> matching.Weights:
    """The weights the matcher uses now: the newest row's, else the documented defaults."""
    row = current_row(session)
    if row is None or row.source != WeightsSource.LEARNED:
        return matching.Weights()
    try:
        return matching.weights_from_mapping(row.weights)
    except matching.WeightsError:
        # A row that cannot be read never stops the matcher: the defaults are safe.
        return matching.Weights()


@dataclass(frozen=True)
class RefitSummary:
    """What one nightly refit did."""

    decisions: int
    new_decisions: int
    refitted: bool
    learned: bool
    weights: dict[str, float]


def refit_weights(
    session: Session, now: datetime, *, settings: LearnSettings | None = None
) -> RefitSummary:
    """Learn the weights again when enough decisions were made since the last time. Flushes.

    The alternatives each decision is compared with are ranked by the weights in use now.
    Safe to run twice: the second run finds no new decisions.
    """
    settings = settings or LearnSettings()
    decisions = recorded_decisions(session)
    last = current_row(session)
    new = len(decisions) - (last.n_decisions if last is not None else 0)
    in_use = current_weights(session)
    if new < settings.min_new_decisions:
        return RefitSummary(len(decisions), new, False, False, _mapping(in_use))
    newcomer_ids = sorted({int(d.newcomer) for d in decisions})
    newcomers = session.scalars(select(Newcomer).where(Newcomer.id.in_(newcomer_ids))).all()
    hosts = session.scalars(select(Host).order_by(Host.id)).all()
    learned = matching.learn_weights(
        [matching_adapter.host_profile(h, 0) for h in hosts],
        [matching_adapter.newcomer_profile(n) for n in newcomers],
        decisions,
        seen=in_use,
        min_decisions=settings.min_decisions,
        now=now,
        normalizer=matcher_normalizer(session),
    )
    row = MatcherWeights(
        weights=learned.as_mapping(),
        source=WeightsSource.LEARNED if learned.learned else WeightsSource.DEFAULTS,
        n_decisions=len(decisions),
        trained_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(session, SystemActor("scheduler"), AuditAction.WEIGHTS_REFIT, "weights", row.id)
    return RefitSummary(len(decisions), new, True, learned.learned, learned.as_mapping())


def reset_weights(session: Session, actor: Actor, now: datetime) -> MatcherWeights:
    """A coordinator sets the weights back to the documented defaults. Flushes.

    The nightly refit learns again only from decisions made after the reset.
    """
    require_coordinator(actor)
    row = MatcherWeights(
        weights=_mapping(matching.Weights()),
        source=WeightsSource.RESET,
        n_decisions=len(recorded_decisions(session)),
        trained_at=now,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, AuditAction.WEIGHTS_RESET, "weights", row.id)
    return row


@dataclass(frozen=True)
class WeightLine:
    """One part of the score: its documented default and the weight in use."""

    name: str
    default: float
    current: float


@dataclass(frozen=True)
class WeightsOverview:
    """The coordinators' page: the weights beside the defaults, and where they came from."""

    lines: list[WeightLine]
    row: MatcherWeights | None
    decisions: int
    new_decisions: int
    settings: LearnSettings

    @property
    def is_default(self) -> bool:
        """True when the weights in use are the documented defaults."""
        return all(abs(line.current - line.default) < 5e-4 for line in self.lines)


def weights_overview(
    session: Session, actor: Actor, *, settings: LearnSettings | None = None
) -> WeightsOverview:
    """The weights page's content (audit-logged)."""
    require_coordinator(actor)
    defaults = _mapping(matching.Weights())
    current = _mapping(current_weights(session))
    row = current_row(session)
    decisions = len(recorded_decisions(session))
    audit.record(session, actor, AuditAction.VIEW_WEIGHTS, "weights", row.id if row else None)
    return WeightsOverview(
        lines=[WeightLine(k, defaults[k], current[k]) for k in matching.COMPONENTS],
        row=row,
        decisions=decisions,
        new_decisions=decisions - (row.n_decisions if row is not None else 0),
        settings=settings or LearnSettings(),
    )


def _mapping(weights: matching.Weights) -> dict[str, float]:
    return {k: float(getattr(weights, k)) for k in matching.COMPONENTS}
