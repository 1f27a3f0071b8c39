"""The thin layer between the database and the ``matching`` library.

Profiles come out of the database as the library's plain dataclasses, the library proposes, and
its answer comes back as :class:`ScoredProposal` records with database ids. No scoring happens
here: every number and every reason is the library's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import matching
from avestavard.models import Host, HostStatus, Newcomer, NewcomerStatus
from avestavard.models.matches import (
    ACTIVE_MATCH_STATES,
    NAMING_REASON_CODES,
    Match,
    MatchProposal,
    MatchState,
    ProposalStatus,
)
from avestavard.services.reading import matcher_normalizer

Decision = Literal["rejected", "declined", "ended"]


@dataclass(frozen=True)
class ScoredCandidate:
    """One candidate host for a newcomer, with the library's score and reasons."""

    host_id: int
    score: float
    reasons_sv: tuple[str, ...]
    reasons_en: tuple[str, ...]
    reason_codes: tuple[dict[str, Any], ...] = ()
    components: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredProposal:
    """The library's answer for one newcomer: the assigned host (or None) and the candidates."""

    newcomer_id: int
    assigned_host_id: int | None
    candidates: tuple[ScoredCandidate, ...]


def _household(value: Any) -> str:
    return "" if value is None else str(value.value if hasattr(value, "value") else value)


def _host_status(host: Host) -> str:
    return host.status.value if isinstance(host.status, HostStatus) else str(host.status)


def host_profile(host: Host, active_matches: int) -> matching.HostProfile:
    """A host as the library sees it (never the name or contact details)."""
    return matching.HostProfile(
        id=str(host.id),
        birth_year=host.birth_year,
        area=host.area or "",
        household=_household(host.household),
        languages=tuple(host.languages or ()),
        interests=tuple(host.interests_raw or ()),
        past=host.past or "",
        present=host.present or "",
        future=host.future or "",
        thoughts=host.thoughts or "",
        capacity=host.capacity,
        status=_host_status(host),
        active_matches=active_matches,
    )


def newcomer_profile(newcomer: Newcomer) -> matching.NewcomerProfile:
    """A newcomer as the library sees it (never the name or contact details)."""
    return matching.NewcomerProfile(
        id=str(newcomer.id),
        birth_year=newcomer.birth_year,
        area=newcomer.area or "",
        household=_household(newcomer.household),
        languages=tuple(newcomer.languages or ()),
        interests=tuple(newcomer.interests_raw or ()),
        past=newcomer.past or "",
        present=newcomer.present or "",
        future=newcomer.future or "",
        wishes=newcomer.wishes or "",
        moved_in=newcomer.moved_in,
        waiting_since=newcomer.waiting_since.date(),
    )


def _in_pool() -> list[Any]:
    active = select(Match.newcomer_id).where(Match.state.in_(ACTIVE_MATCH_STATES))
    return [Newcomer.status == NewcomerStatus.WAITING, Newcomer.id.not_in(active)]


def pool_newcomers(
    session: Session, *, offset: int = 0, limit: int | None = None
) -> Sequence[Newcomer]:
    """Newcomers waiting for a host with no active match, who waited longest first (``offset``
    and ``limit`` for one page of them).

    A page's ids are sorted and skipped on narrow rows first, then those newcomers are loaded:
    a late page does not sort every waiting newcomer's whole row.
    """
    order = (func.coalesce(Newcomer.confirmed_at, Newcomer.registered_at), Newcomer.id)
    if limit is None and not offset:
        return session.scalars(select(Newcomer).where(*_in_pool()).order_by(*order)).all()
    ids = session.scalars(
        select(Newcomer.id).where(*_in_pool()).order_by(*order).offset(offset).limit(limit)
    ).all()
    found = {n.id: n for n in session.scalars(select(Newcomer).where(Newcomer.id.in_(ids)))}
    return [found[newcomer_id] for newcomer_id in ids]


def pool_size(session: Session) -> int:
    """How many newcomers wait for a host with no active match."""
    return session.scalar(select(func.count(Newcomer.id)).where(*_in_pool())) or 0


def active_match_counts(session: Session) -> dict[int, int]:
    """Host id → number of active matches (the places already taken)."""
    rows = session.execute(
        select(Match.host_id, func.count())
        .where(Match.state.in_(ACTIVE_MATCH_STATES))
        .group_by(Match.host_id)
    ).all()
    return {host_id: count for host_id, count in rows}


def pair_history(session: Session) -> list[tuple[int, int, Decision]]:
    """Every (newcomer, host, decision) that keeps a pair from being proposed again."""
    rejected = session.execute(
        select(MatchProposal.newcomer_id, MatchProposal.host_id).where(
            MatchProposal.status == ProposalStatus.REJECTED
        )
    ).all()
    ended = session.execute(
        select(Match.newcomer_id, Match.host_id, Match.state).where(
            Match.state.in_((MatchState.DECLINED, MatchState.ENDED))
        )
    ).all()
    history: list[tuple[int, int, Decision]] = [(n, h, "rejected") for n, h in rejected]
    for n, h, state in ended:
        history.append((n, h, "declined" if state == MatchState.DECLINED else "ended"))
    return history


def _reason_texts(reasons: Sequence[matching.Reason], lang: str) -> tuple[str, ...]:
    # Reasons that name other people are worded when shown, never stored as text.
    return tuple(reason.text(lang) for reason in reasons if reason.code not in NAMING_REASON_CODES)


def compute_proposals(
    session: Session, *, top_k: int = 3, weights: matching.Weights | None = None
) -> list[ScoredProposal]:
    """Run the library over the whole pool: every waiting newcomer and every host.

    ``weights``: the score's weights (the documented defaults if None); the hard rules hold
    whatever they are.
    """
    newcomers = pool_newcomers(session)
    if not newcomers:
        return []
    counts = active_match_counts(session)
    hosts = session.scalars(
        select(Host).where(Host.status == HostStatus.ACTIVE).order_by(Host.id)
    ).all()
    history = [
        matching.HistoryEntry(newcomer=str(n), host=str(h), decision=d)
        for n, h, d in pair_history(session)
    ]
    proposals = matching.propose(
        [host_profile(h, counts.get(h.id, 0)) for h in hosts],
        [newcomer_profile(n) for n in newcomers],
        history=history,
        top_k=top_k,
        weights=weights,
        normalizer=matcher_normalizer(session),
    )
    result = []
    for proposal in proposals:
        candidates = [_scored(c) for c in proposal.candidates]
        assigned = None if proposal.assigned is None else int(proposal.assigned)
        # Capacity can give a newcomer a host outside their top candidates; it is stored too.
        extra = proposal.assigned_candidate
        if extra is not None and all(c.host_id != int(extra.host) for c in candidates):
            candidates.append(_scored(extra))
        result.append(ScoredProposal(int(proposal.newcomer), assigned, tuple(candidates)))
    return result


def _scored(candidate: matching.Candidate) -> ScoredCandidate:
    return ScoredCandidate(
        host_id=int(candidate.host),
        score=float(candidate.score),
        reasons_sv=_reason_texts(candidate.reasons, "sv"),
        reasons_en=_reason_texts(candidate.reasons, "en"),
        reason_codes=tuple(r.to_dict() for r in candidate.reasons),
        components=dict(candidate.components),
    )


def known_areas(session: Session) -> list[str]:
    """Every area a host or a newcomer lives in (wishes may name any of them)."""
    found = [*session.scalars(select(Host.area).distinct())]
    found += session.scalars(select(Newcomer.area).distinct())
    return sorted({a for a in found if a})


def wish_outcomes(
    normalizer: matching.InterestNormalizer,
    newcomer: Newcomer,
    host: Host,
    areas: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """The newcomer's wishes, clause by clause as written, with how each reads for this host.

    The status is ``met``, ``not_met`` or ``not_understood`` (read it yourself); ``areas``
    are the area names a wish may mention; ``normalizer`` is the matcher's
    (:func:`avestavard.services.reading.matcher_normalizer`).
    """
    if not (newcomer.wishes or "").strip():
        return []
    tax = normalizer.taxonomy
    interests: set[str] = set()
    for item in normalizer.normalize(host.interests_raw or ()):
        if item.canonical_id is not None and not item.sensitive:
            interests.add(item.canonical_id)
            interests.update(tax.ancestors(item.canonical_id))
    clauses = matching.read_wishes(
        newcomer.wishes or "", normalizer, [*areas, *(a for a in (host.area, newcomer.area) if a)]
    )
    found = matching.wish_outcomes(
        clauses, newcomer_profile(newcomer), host_profile(host, 0), interests
    )
    return [(clause.text, status) for clause, status in found]
