"""Matches: from the matcher's proposals to a first meeting, and the follow-up a month later.

Lifecycle (see :mod:`avestavard.models.matches`)::

    proposed → approved → host_notified → accepted | declined → introduced → met → ended
                     └──(undo within the hold)──▶ undone

Approving holds the host's email in the outbox for ``MAIL_HOLD_SECONDS``: until then the
coordinator can undo (the email is cancelled, never sent; the host's place is free again and the
proposal is open again; an undo is not a rejection), and no answer link works.

Every change is audit-logged here, so no view can forget it. Mail is queued in the outbox in
the same transaction as the change that causes it; the outbox sender delivers it after the
commit. Functions flush and never commit.

Capacity under concurrency: approving takes the newcomer's and the host's row locks first
(``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, which serialises
writers), then counts the places taken, so two coordinators approving at the same moment are
served one after the other. A partial unique index (one active match per newcomer) backs this
up in the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from babel import Locale
from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from avestavard.errors import Conflict, NotFound, ValidationFailed
from avestavard.localtime import local_zone, to_local
from avestavard.models import AuditAction, Host, HostStatus, HouseholdType, Newcomer, NewcomerStatus
from avestavard.models.matches import (
    ACTIVE_MATCH_STATES,
    FollowUpSide,
    Match,
    MatchFollowUp,
    MatchProposal,
    MatchState,
    ProposalStatus,
    pair_reasons,
)
from avestavard.services import audit, matcher_weights, matching_adapter
from avestavard.services.audit import Actor, SystemActor
from avestavard.services.authorization import is_coordinator, own_host, require_coordinator
from avestavard.services.calendar_months import add_months as add_months
from avestavard.services.i18n import translate as _
from avestavard.services.link_settings import LinkSettings
from avestavard.services.mail import (
    cancel_queued_mail,
    mail_locale,
    queue_mail,
    queue_templated_mail,
)
from avestavard.services.paging import Paged, clamp_page
from avestavard.services.reading import matcher_normalizer

ANSWER_SALT = "avestavard.match-answer"
FOLLOW_UP_SALT = "avestavard.match-follow-up"
MAX_REASON_LENGTH = 1000
RECOMPUTE_LOCK_KEY = 5_2026_0005  # PostgreSQL advisory lock: one recomputation at a time

# Which state may follow which. Anything else is refused with Conflict.
TRANSITIONS: dict[MatchState, frozenset[MatchState]] = {
    MatchState.APPROVED: frozenset(
        {MatchState.HOST_NOTIFIED, MatchState.ACCEPTED, MatchState.DECLINED, MatchState.ENDED}
    ),
    MatchState.HOST_NOTIFIED: frozenset(
        {MatchState.HOST_NOTIFIED, MatchState.ACCEPTED, MatchState.DECLINED, MatchState.ENDED}
    ),
    MatchState.ACCEPTED: frozenset({MatchState.INTRODUCED, MatchState.ENDED}),
    MatchState.INTRODUCED: frozenset({MatchState.MET, MatchState.ENDED}),
    MatchState.MET: frozenset({MatchState.ENDED}),
    MatchState.DECLINED: frozenset(),
    MatchState.ENDED: frozenset(),
    MatchState.UNDONE: frozenset(),
}
# Undoing is not a step of the lifecycle: it is allowed only within the hold (see undo_approval).
UNDOABLE_STATES = frozenset({MatchState.APPROVED, MatchState.HOST_NOTIFIED})
MAX_NOTE_LENGTH = 1000


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class MatchSettings(LinkSettings):
    """What matches need from the configuration: link signing, link lifetimes, the base URL."""

    answer_link_days: int = 14
    follow_up_after_months: int = 1
    follow_up_link_days: int = 60
    top_k: int = 3
    hold_seconds: int = 600
    # The languages newcomers' emails are written in (hosts get Swedish or English).
    public_languages: tuple[str, ...] = ("sv", "en", "ar")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MatchSettings:
        """Read the settings from a Flask config (defaults where a setting is missing)."""
        return cls(
            **cls.site_values(config),
            answer_link_days=int(config.get("MATCH_ANSWER_LINK_DAYS", 14)),
            follow_up_after_months=int(config.get("MATCH_FOLLOW_UP_AFTER_MONTHS", 1)),
            follow_up_link_days=int(config.get("MATCH_FOLLOW_UP_LINK_DAYS", 60)),
            top_k=int(config.get("MATCH_TOP_K", 3)),
            hold_seconds=max(0, int(config.get("MAIL_HOLD_SECONDS", 600))),
            public_languages=tuple(config.get("PUBLIC_LANGUAGES", ("sv", "en", "ar"))),
        )

    @property
    def hold(self) -> timedelta:
        """How long an approval can be undone before the host's email goes out."""
        return timedelta(seconds=self.hold_seconds)

    def answer_url(self, token: str, language: str) -> str:
        """The page a host opens from the match email."""
        return f"{self.public_base_url}/matchning/svar/{token}?lang={language}"

    def follow_up_url(self, token: str, language: str) -> str:
        """The page either side opens from the follow-up email."""
        return f"{self.public_base_url}/matchning/uppfoljning/{token}?lang={language}"


def _settings_from_app() -> MatchSettings:
    return MatchSettings.from_config(current_app.config)


# --------------------------------------------------------------------------- small helpers


def _clean(text: str | None, limit: int = MAX_REASON_LENGTH) -> str:
    return " ".join((text or "").split())[:limit]


def clean_note(text: str | None) -> str:
    """A coordinator's personal note: paragraphs kept, spaces tidied, at most 1000 characters."""
    lines = [" ".join(line.split()) for line in (text or "").replace("\r\n", "\n").split("\n")]
    paragraphs = "\n".join(lines).strip()
    while "\n\n\n" in paragraphs:
        paragraphs = paragraphs.replace("\n\n\n", "\n\n")
    return paragraphs[:MAX_NOTE_LENGTH]


def _lang(code: str | None, allowed: Sequence[str]) -> str:
    return code if code is not None and code in allowed else "sv"


def language_names(codes: Sequence[str], lang: str) -> list[str]:
    """ISO 639-1 codes as language names in ``lang`` (``['sv', 'ar']`` → svenska, arabiska)."""
    names = Locale.parse(lang).languages
    return [names.get(code, code) for code in codes]


def household_label(household: HouseholdType | None) -> str:
    """The household in words, in the current locale (call inside ``force_locale``)."""
    labels = {
        HouseholdType.SINGLE: _("Ensamstående"),
        HouseholdType.COUPLE: _("Par"),
        HouseholdType.FAMILY: _("Familj med barn"),
    }
    return labels.get(household, "") if household is not None else ""


def interest_words(person: Host | Newcomer, lang: str) -> list[str]:
    """The person's interests: canonical names in ``lang`` if known, else their own words."""
    if person.interests:
        return [
            link.interest.label_en if lang == "en" else link.interest.label_sv
            for link in person.interests
        ]
    return list(person.interests_raw or [])


def _match(session: Session, match_id: int, *, lock: bool = False) -> Match:
    if lock:
        with _serialised_writes(session):
            match = session.get(Match, match_id, with_for_update=True, populate_existing=True)
    else:
        match = session.get(Match, match_id)
    if match is None:
        raise NotFound(_("Matchningen finns inte."))
    return match


def _move(match: Match, to: MatchState) -> None:
    if to not in TRANSITIONS[match.state]:
        raise Conflict(
            _(
                "Matchningen är redan %(state)s och kan inte ändras så.",
                state=state_label(match.state),
            )
        )
    match.state = to


def state_label(state: MatchState | str) -> str:
    """A state in words for people (translated in the current locale)."""
    labels = {
        MatchState.APPROVED: _("godkänd"),
        MatchState.HOST_NOTIFIED: _("skickad till värden"),
        MatchState.ACCEPTED: _("accepterad av värden"),
        MatchState.DECLINED: _("avböjd av värden"),
        MatchState.INTRODUCED: _("introducerad"),
        MatchState.MET: _("har träffats"),
        MatchState.ENDED: _("avslutad"),
        MatchState.UNDONE: _("ångrad"),
    }
    return labels.get(MatchState(state), str(state))


def _may_act_for_host(actor: Actor, match: Match, now: datetime) -> bool:
    """Coordinators and the system act on any match; a host on their own match once asked."""
    if is_coordinator(actor) or isinstance(actor, SystemActor):
        return True
    return actor.id is not None and match.host.user_id == actor.id and _visible_to_host(match, now)


# --------------------------------------------------------------------------- locking


@contextmanager
def _serialised_writes(session: Session) -> Iterator[None]:
    """Make the following reads see every committed write and block other writers.

    PostgreSQL: the caller takes row locks with ``FOR UPDATE``. SQLite ignores ``FOR UPDATE``,
    so the transaction is opened with ``BEGIN IMMEDIATE``: it takes the database's write lock
    before anything is read, and a second writer waits (``busy_timeout``) until the first
    commits. If this transaction already wrote, SQLite already holds that lock.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dbapi = connection.connection.dbapi_connection
        if dbapi is not None and not getattr(dbapi, "in_transaction", True):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    yield


def _lock_recomputation(session: Session) -> None:
    """One recomputation at a time (the button and the nightly job may meet)."""
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RECOMPUTE_LOCK_KEY})


def _lock_pair(session: Session, newcomer_id: int, host_id: int) -> tuple[Newcomer, Host]:
    """Lock the newcomer, then the host (always in this order, so two approvals never deadlock)."""
    with _serialised_writes(session):
        newcomer = session.get(Newcomer, newcomer_id, with_for_update=True, populate_existing=True)
        if newcomer is None:
            raise NotFound(_("Personen finns inte."))
        host = session.get(Host, host_id, with_for_update=True, populate_existing=True)
        if host is None:
            raise NotFound(_("Värden finns inte."))
    return newcomer, host


def _active_count(session: Session, host_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Match)
            .where(Match.host_id == host_id, Match.state.in_(ACTIVE_MATCH_STATES))
        )
        or 0
    )


def _has_active_match(session: Session, newcomer_id: int) -> bool:
    return (
        session.scalar(
            select(Match.id).where(
                Match.newcomer_id == newcomer_id, Match.state.in_(ACTIVE_MATCH_STATES)
            )
        )
        is not None
    )


def _blocked_pair(session: Session, newcomer_id: int, host_id: int) -> bool:
    """True when a coordinator rejected the pair or the host declined this newcomer."""
    rejected = session.scalar(
        select(MatchProposal.id).where(
            MatchProposal.newcomer_id == newcomer_id,
            MatchProposal.host_id == host_id,
            MatchProposal.status == ProposalStatus.REJECTED,
        )
    )
    declined = session.scalar(
        select(Match.id).where(
            Match.newcomer_id == newcomer_id,
            Match.host_id == host_id,
            Match.state.in_((MatchState.DECLINED, MatchState.ENDED)),
        )
    )
    return rejected is not None or declined is not None


# --------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class RecomputeSummary:
    """What one recomputation did."""

    newcomers: int
    assigned: int
    proposals: int
    removed: int


def recompute_proposals(
    session: Session, now: datetime, *, top_k: int = 3, actor: Actor | None = None
) -> RecomputeSummary:
    """Ask the matcher again for every waiting newcomer and store its answer.

    Open proposals are updated in place, added or removed; decided ones (approved, rejected)
    are never touched, so a recomputation cannot overwrite a decision. Running it twice gives
    the same rows. Called by the "recompute" button, ``avestavard propose`` and the nightly job.
    """
    # The weights in use: learned from decisions by the nightly refit, or the defaults.
    scored = matching_adapter.compute_proposals(
        session, top_k=top_k, weights=matcher_weights.current_weights(session)
    )
    # The matcher ran without locks; the writing happens under them, and what changed
    # meanwhile (a newcomer approved, a proposal rejected) is read again and wins.
    _lock_recomputation(session)
    with _serialised_writes(session):
        open_rows = session.scalars(
            select(MatchProposal)
            .where(MatchProposal.status == ProposalStatus.OPEN)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    existing = {(p.newcomer_id, p.host_id): p for p in open_rows}
    decided = {
        (n, h)
        for n, h in session.execute(
            select(MatchProposal.newcomer_id, MatchProposal.host_id).where(
                MatchProposal.status != ProposalStatus.OPEN
            )
        )
    }
    still_waiting = {n.id for n in matching_adapter.pool_newcomers(session)}
    kept: set[tuple[int, int]] = set()
    stored = assigned = 0
    for proposal in scored:
        if proposal.newcomer_id not in still_waiting:
            continue  # matched while the matcher ran
        for rank, candidate in enumerate(proposal.candidates):
            key = (proposal.newcomer_id, candidate.host_id)
            if key in decided:
                continue  # a decision stands; the matcher's opinion does not replace it
            row = existing.get(key)
            if row is None:
                row = MatchProposal(newcomer_id=key[0], host_id=key[1])
                session.add(row)
                existing[key] = row
            row.rank = rank
            row.is_assigned = candidate.host_id == proposal.assigned_host_id
            row.score = candidate.score
            row.reasons_sv = list(candidate.reasons_sv)
            row.reasons_en = list(candidate.reasons_en)
            row.reason_codes = list(candidate.reason_codes)
            row.components = dict(candidate.components)
            row.computed_at = now
            kept.add(key)
            stored += 1
            assigned += row.is_assigned
    removed = 0
    for key, row in existing.items():
        if key not in kept:
            session.delete(row)
            removed += 1
    session.flush()
    audit.record(
        session, actor or SystemActor("matcher"), AuditAction.RECOMPUTE_PROPOSALS, "proposals", None
    )
    return RecomputeSummary(len(scored), assigned, stored, removed)


@dataclass
class ToMatchRow:
    """One waiting newcomer on the coordinators' "to match" page."""

    newcomer: Newcomer
    proposed: MatchProposal | None
    alternatives: list[MatchProposal] = field(default_factory=list)
    declined_by: list[Host] = field(default_factory=list)
    # The newcomer's wishes as written, each with met / not_met / not_understood for the
    # proposed host.
    wishes: list[tuple[str, str]] = field(default_factory=list)
    # "host:<id>" / "newcomer:<id>" -> first names, for reasons that name people.
    names: dict[str, str] = field(default_factory=dict)


@dataclass
class ToMatchPage(Paged):
    """One page of "Att matcha" and how many newcomers wait in all."""

    rows: list[ToMatchRow]
    total: int
    page: int
    per_page: int


TO_MATCH_PER_PAGE = 20


def to_match(
    session: Session, actor: Actor, *, page: int = 1, per_page: int = TO_MATCH_PER_PAGE
) -> ToMatchPage:
    """Confirmed newcomers waiting for a host, oldest first, with their open proposals: one page
    of them, in a fixed number of queries however many wait. Logged as a view of the list."""
    require_coordinator(actor, system=True)
    audit.record(session, actor, AuditAction.VIEW_LIST, "to-match")
    per_page = max(1, min(per_page, 100))
    total = matching_adapter.pool_size(session)
    page = clamp_page(page, total, per_page)
    newcomers = matching_adapter.pool_newcomers(
        session, offset=(page - 1) * per_page, limit=per_page
    )
    ids = [n.id for n in newcomers]
    proposals = session.scalars(
        select(MatchProposal)
        .where(MatchProposal.newcomer_id.in_(ids), MatchProposal.status == ProposalStatus.OPEN)
        .options(joinedload(MatchProposal.host))
        .order_by(MatchProposal.is_assigned.desc(), MatchProposal.rank, MatchProposal.id)
    ).all()
    by_newcomer: dict[int, list[MatchProposal]] = {}
    for proposal in proposals:
        by_newcomer.setdefault(proposal.newcomer_id, []).append(proposal)
    # Only their names are shown: their interests are not loaded (one query fewer on the pages
    # where someone was declined, so every page takes the same queries).
    declined = session.execute(
        select(Match.newcomer_id, Host)
        .join(Host, Host.id == Match.host_id)
        .where(Match.newcomer_id.in_(ids), Match.state == MatchState.DECLINED)
        .options(lazyload(Host.interests))
    ).all()
    declined_by: dict[int, list[Host]] = {}
    for newcomer_id, host in declined:
        declined_by.setdefault(newcomer_id, []).append(host)
    # Reasons may name another newcomer ("... föreslås för Amir"): their first names, read
    # now, so an erased person is never named from a stored text.
    named = {
        int(code["params"]["other_newcomer"])
        for proposal in proposals
        for code in proposal.reason_codes
        if code.get("code") == "best_host_elsewhere"
    }
    other_names = {
        f"newcomer:{n.id}": n.first_name
        for n in session.scalars(
            select(Newcomer).where(Newcomer.id.in_(named)).options(lazyload(Newcomer.interests))
        )
    }
    areas = matching_adapter.known_areas(session)
    normalizer = matcher_normalizer(session)
    rows = []
    for newcomer in newcomers:
        own = by_newcomer.get(newcomer.id, [])
        names = {f"newcomer:{newcomer.id}": newcomer.first_name, **other_names}
        names.update({f"host:{p.host_id}": p.host.first_name for p in own})
        rows.append(
            ToMatchRow(
                newcomer=newcomer,
                proposed=own[0] if own else None,
                alternatives=own[1:],
                declined_by=declined_by.get(newcomer.id, []),
                wishes=(
                    matching_adapter.wish_outcomes(normalizer, newcomer, own[0].host, areas)
                    if own
                    else []
                ),
                names=names,
            )
        )
    return ToMatchPage(rows, total, page, per_page)


def open_proposals(session: Session, actor: Actor, ids: Sequence[int]) -> list[MatchProposal]:
    """The open proposals among ``ids``, in the order given (for a bulk approval's review)."""
    require_coordinator(actor, system=True)
    if not ids:
        return []
    found = {
        p.id: p
        for p in session.scalars(
            select(MatchProposal).where(
                MatchProposal.id.in_(ids), MatchProposal.status == ProposalStatus.OPEN
            )
        )
    }
    return [found[i] for i in ids if i in found]


def last_computed_at(session: Session) -> datetime | None:
    """When the open proposals were last computed (None when there are none)."""
    return session.scalar(
        select(func.max(MatchProposal.computed_at)).where(
            MatchProposal.status == ProposalStatus.OPEN
        )
    )


@dataclass(frozen=True)
class AvailableHost:
    """A host a coordinator may pick by hand, with the places left."""

    host: Host
    free_places: int


def available_hosts(
    session: Session, actor: Actor, newcomer_id: int, query: str = "", limit: int = 50
) -> list[AvailableHost]:
    """Active hosts with a free place that the newcomer may get, filtered by search words.
    Logged against the newcomer as a list view or, with words, a search (never the words)."""
    require_coordinator(actor, system=True)
    if session.get(Newcomer, newcomer_id) is None:
        raise NotFound(_("Personen finns inte."))
    action = AuditAction.SEARCH if query.strip() else AuditAction.VIEW_LIST
    audit.record(session, actor, action, "newcomer", newcomer_id)
    counts = matching_adapter.active_match_counts(session)
    stmt = select(Host).where(Host.status == HostStatus.ACTIVE).order_by(Host.name, Host.id)
    for word in query.split():
        pattern = f"%{word.lower()}%"
        stmt = stmt.where(
            func.lower(Host.name).like(pattern)
            | func.lower(func.coalesce(Host.area, "")).like(pattern)
        )
    blocked = {h for n, h, _d in matching_adapter.pair_history(session) if n == newcomer_id}
    result = []
    for host in session.scalars(stmt):
        free = host.capacity - counts.get(host.id, 0)
        if free > 0 and host.id not in blocked:
            result.append(AvailableHost(host, free))
            if len(result) >= limit:
                break
    return result


def reject_proposal(
    session: Session, actor: Actor, proposal_id: int, reason: str, *, now: datetime
) -> MatchProposal:
    """A coordinator turns a proposed pair down, with a reason; it is never proposed again."""
    require_coordinator(actor, system=True)
    reason = _clean(reason)
    if not reason:
        message = _("Skriv varför förslaget inte passar.")
        raise ValidationFailed(message, {"reason": message})
    proposal = session.get(MatchProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("Förslaget finns inte längre. Ladda om sidan."))
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(_("Förslaget är redan avgjort."))
    proposal.status = ProposalStatus.REJECTED
    proposal.reject_reason = reason
    proposal.decided_at = now
    proposal.decided_by_id = actor.id
    session.flush()
    audit.record(session, actor, AuditAction.REJECT_PROPOSAL, "newcomer", proposal.newcomer_id)
    return proposal


# --------------------------------------------------------------------------- approval


def _create_match(
    session: Session,
    actor: Actor,
    *,
    source: str,
    newcomer_id: int,
    host_id: int,
    now: datetime,
    settings: MatchSettings,
    proposal_id: int | None = None,
    note: str = "",
    batch: str | None = None,
) -> Match:
    newcomer, host = _lock_pair(session, newcomer_id, host_id)
    proposal = None
    if proposal_id is not None:
        proposal = session.get(MatchProposal, proposal_id, populate_existing=True)
        if proposal is None or (proposal.newcomer_id, proposal.host_id) != (newcomer_id, host_id):
            raise Conflict(_("Förslaget finns inte längre. Ladda om sidan."))
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(_("Förslaget är redan avgjort."))
    if newcomer.status != NewcomerStatus.WAITING or _has_active_match(session, newcomer.id):
        raise Conflict(_("%(name)s väntar inte längre på en värd.", name=newcomer.first_name))
    if host.status != HostStatus.ACTIVE:
        raise Conflict(_("%(name)s tar inte emot nyinflyttade just nu.", name=host.name))
    if _blocked_pair(session, newcomer.id, host.id):
        raise Conflict(_("Det här paret har redan avböjts eller avslutats och föreslås inte igen."))
    if _active_count(session, host.id) >= host.capacity:
        raise Conflict(
            _(
                "%(name)s har redan så många nyinflyttade som hen kan ta emot (%(capacity)s).",
                name=host.name,
                capacity=host.capacity,
            )
        )
    match = Match(
        newcomer_id=newcomer.id,
        host_id=host.id,
        state=MatchState.APPROVED,
        source=source,
        score=proposal.score if proposal else None,
        reasons_sv=list(proposal.reasons_sv) if proposal else [],
        reasons_en=list(proposal.reasons_en) if proposal else [],
        reason_codes=list(proposal.reason_codes) if proposal else [],
        proposed_at=proposal.computed_at if proposal else now,
        approved_at=now,
        approved_by_id=actor.id,
        coordinator_note=clean_note(note),
        hold_until=now + settings.hold,
        approval_batch=batch or secrets.token_hex(16),
    )
    session.add(match)
    if proposal is not None:
        proposal.status = ProposalStatus.APPROVED
        proposal.decided_at = now
        proposal.decided_by_id = actor.id
    newcomer.status = NewcomerStatus.MATCHED
    first_name = newcomer.first_name  # a failed flush expires the loaded attributes
    try:
        session.flush()
    except IntegrityError as exc:
        # The partial unique index caught a second active match for this newcomer.
        raise Conflict(_("%(name)s väntar inte längre på en värd.", name=first_name)) from exc
    audit.record(session, actor, AuditAction.APPROVE, "match", match.id)
    if host.email:
        _notify_host(session, actor, match, now=now, settings=settings)
    return match


def approve_match(
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    now: datetime,
    settings: MatchSettings,
    note: str = "",
    batch: str | None = None,
) -> Match:
    """A coordinator approves the matcher's proposal: the match is made and the host emailed.

    ``note`` is the coordinator's own line in the host's email. The email is held for
    ``settings.hold`` so the approval can be undone (:func:`undo_approval`); approvals given the
    same ``batch`` are undone together (:func:`undo_batch`).

    Refused with Conflict when the host has no free place, the newcomer already has a match,
    or the proposal was decided meanwhile, also when two coordinators try at the same moment.
    """
    require_coordinator(actor, system=True)
    proposal = session.get(MatchProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("Förslaget finns inte längre. Ladda om sidan."))
    return _create_match(
        session,
        actor,
        newcomer_id=proposal.newcomer_id,
        host_id=proposal.host_id,
        now=now,
        settings=settings,
        source="matcher",
        proposal_id=proposal.id,
        note=note,
        batch=batch,
    )


def assign_other_host(
    session: Session,
    actor: Actor,
    newcomer_id: int,
    host_id: int,
    *,
    now: datetime,
    settings: MatchSettings,
    note: str = "",
) -> Match:
    """A coordinator picks another available host by hand; the same rules as approving."""
    require_coordinator(actor, system=True)
    open_proposal = session.scalar(
        select(MatchProposal.id).where(
            MatchProposal.newcomer_id == newcomer_id,
            MatchProposal.host_id == host_id,
            MatchProposal.status == ProposalStatus.OPEN,
        )
    )
    return _create_match(
        session,
        actor,
        newcomer_id=newcomer_id,
        host_id=host_id,
        now=now,
        settings=settings,
        source="coordinator" if open_proposal is None else "matcher",
        proposal_id=open_proposal,
        note=note,
    )


# Status words of the coordinators' old Excel sheet, and the state each one means.
_IMPORTED_STATES = {
    "träffats": MatchState.MET,
    "träffat": MatchState.MET,
    "avslutad": MatchState.ENDED,
    "avslutat": MatchState.ENDED,
    "avbruten": MatchState.ENDED,
}


def record_imported_match(
    session: Session,
    actor: Actor,
    *,
    host: Host,
    newcomer: Newcomer,
    matched_on: date | None,
    status_text: str | None,
    now: datetime,
) -> Match | None:
    """A pair made by hand before this system (legacy import), stored without any email.

    "Träffats" becomes met, "Avslutad" ended, anything else ("Ej kontakt ännu") introduced.
    Returns None when the pair is already stored or the newcomer already has another active
    match, so running the same import twice creates nothing. Imported pairs get no follow-up
    questions (they are often years old) and are not held to today's capacity.
    """
    require_coordinator(actor, system=True)
    if session.scalar(
        select(Match.id).where(Match.newcomer_id == newcomer.id, Match.host_id == host.id)
    ):
        return None
    state = _IMPORTED_STATES.get((status_text or "").strip().lower(), MatchState.INTRODUCED)
    if state != MatchState.ENDED and _has_active_match(session, newcomer.id):
        return None
    at = datetime.combine(matched_on, time(12), tzinfo=UTC) if matched_on else now
    match = Match(
        newcomer_id=newcomer.id,
        host_id=host.id,
        state=state,
        source="import",
        proposed_at=at,
        approved_at=at,
        accepted_at=at,
        introduced_at=at,
        met_at=at if state == MatchState.MET else None,
        ended_at=at if state == MatchState.ENDED else None,
        end_reason=(status_text or "").strip() if state == MatchState.ENDED else "",
    )
    session.add(match)
    if state != MatchState.ENDED and newcomer.status in (
        NewcomerStatus.WAITING,
        NewcomerStatus.UNCONFIRMED,
    ):
        newcomer.status = NewcomerStatus.MATCHED
    session.flush()
    audit.record(session, actor, AuditAction.IMPORT, "match", match.id)
    return match


# --------------------------------------------------------------------------- host notification


def _answer_serializer(settings: MatchSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=ANSWER_SALT)


def answer_token(
    settings: MatchSettings, match: Match, action: Literal["accept", "decline"]
) -> str:
    """The signed token of one answer link (only valid with the match's current nonce)."""
    return str(
        _answer_serializer(settings).dumps({"m": match.id, "a": action, "n": match.answer_nonce})
    )


@dataclass(frozen=True)
class HostMail:
    """The host's match email as it is (or will be) sent."""

    to: str
    subject: str
    text: str
    html: str
    language: str


def _host_mail(
    host: Host,
    newcomer: Newcomer,
    *,
    reason_codes: Sequence[Mapping[str, Any]],
    note: str,
    accept_url: str,
    decline_url: str,
    expires_on: date,
) -> HostMail:
    """Render the host's match email in the host's language."""
    language = _lang(host.preferred_language, ("sv", "en"))
    with mail_locale(language):
        context = {
            "host_first_name": host.first_name,
            "newcomer_first_name": newcomer.first_name,
            "interests": interest_words(newcomer, language),
            "languages": language_names(newcomer.languages or [], language),
            "area": newcomer.area or "",
            "household": household_label(newcomer.household),
            "reasons": pair_reasons(reason_codes, "host", language, newcomer.first_name),
            "note": note,
            "accept_url": accept_url,
            "decline_url": decline_url,
            "expires_on": expires_on,
            "language": language,
        }
        subject = _("Vill du bli AvestaVärd för %(name)s?", name=newcomer.first_name)
        text = render_template("email/match_host_notified.txt", **context)
        html = render_template("email/match_host_notified.html", **context)
    return HostMail(host.email or "", subject, text, html, language)


def preview_host_mail(
    session: Session,
    actor: Actor,
    newcomer_id: int,
    host_id: int,
    *,
    note: str = "",
    now: datetime,
    settings: MatchSettings,
) -> HostMail | None:
    """The email the host would get if the pair were approved now with ``note``.

    None when the host has no email address (the coordinator calls instead). The answer links
    are placeholders: the real ones are made when the match is.
    """
    require_coordinator(actor, system=True)
    newcomer = session.get(Newcomer, newcomer_id)
    host = session.get(Host, host_id)
    if newcomer is None or host is None:
        raise NotFound(_("Förslaget finns inte längre. Ladda om sidan."))
    if not host.email:
        return None
    proposal = session.scalar(
        select(MatchProposal).where(
            MatchProposal.newcomer_id == newcomer_id, MatchProposal.host_id == host_id
        )
    )
    language = _lang(host.preferred_language, ("sv", "en"))
    return _host_mail(
        host,
        newcomer,
        reason_codes=proposal.reason_codes if proposal else [],
        note=clean_note(note),
        accept_url=settings.answer_url("…", language),
        decline_url=settings.answer_url("…", language),
        expires_on=(now + settings.hold + timedelta(days=settings.answer_link_days)).date(),
    )


def _notify_host(
    session: Session, actor: Actor, match: Match, *, now: datetime, settings: MatchSettings
) -> None:
    host, newcomer = match.host, match.newcomer
    if not host.email:
        raise Conflict(_("Värden har ingen e-postadress. Ring värden och registrera svaret."))
    if match.is_held(now) and match.host_notified_at is not None:
        raise Conflict(_("Mejlet till värden har inte skickats än."))
    first_time = match.host_notified_at is None
    _move(match, MatchState.HOST_NOTIFIED)
    # The first email waits out the hold; the links count from when it goes out.
    sent_at = (
        match.hold_until if first_time and match.hold_until and match.hold_until > now else now
    )
    # A fresh nonce: the links of an earlier email stop working.
    match.answer_nonce = secrets.token_urlsafe(16)
    match.answer_expires_at = sent_at + timedelta(days=settings.answer_link_days)
    match.host_notified_at = sent_at
    session.flush()
    language = _lang(host.preferred_language, ("sv", "en"))
    mail = _host_mail(
        host,
        newcomer,
        reason_codes=match.reason_codes,
        note=match.coordinator_note,
        accept_url=settings.answer_url(answer_token(settings, match, "accept"), language),
        decline_url=settings.answer_url(answer_token(settings, match, "decline"), language),
        expires_on=match.answer_expires_at.date(),
    )
    key = f"match:{match.id}:host-notified"
    if not first_time:
        key += f":{match.answer_nonce[:12]}"
    queue_mail(
        session,
        key=key,
        to=host.email,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        headers={"Content-Language": language},
        held_until=sent_at if sent_at > now else None,
    )
    audit.record(session, actor, AuditAction.NOTIFY_HOST, "match", match.id)


def notify_host_again(
    session: Session, actor: Actor, match_id: int, *, now: datetime, settings: MatchSettings
) -> Match:
    """Send the host a new match email (new links; the old ones stop working)."""
    require_coordinator(actor, system=True)
    match = _match(session, match_id, lock=True)
    _notify_host(session, actor, match, now=now, settings=settings)
    return match


def _refuse_while_held(match: Match, now: datetime) -> None:
    # The host has not been told yet: an answer now could only come from a guess.
    if match.is_held(now):
        raise Conflict(
            _(
                "Värden har inte fått mejlet än. Ångra godkännandet eller vänta tills "
                "mejlet har skickats."
            )
        )


# --------------------------------------------------------------------------- undo


def undo_approval(session: Session, actor: Actor, match_id: int, *, now: datetime) -> Match:
    """Take an approval back within its hold: the host's email is cancelled and never sent.

    The host's place is free again, the newcomer waits again and the proposal is open again:
    an undo is not a rejection, so the pair may be proposed and approved later. Refused with
    Conflict once the hold is over or the email has been claimed by the sender (the outbox
    row's status decides, in the database, so an undo racing the sender never ends with a
    message that was both sent and cancelled).
    """
    require_coordinator(actor, system=True)
    found = session.get(Match, match_id)
    if found is None:
        raise NotFound(_("Matchningen finns inte."))
    # The same lock order as approving: newcomer, host, then the match.
    _lock_pair(session, found.newcomer_id, found.host_id)
    match = _match(session, match_id, lock=True)
    if match.state not in UNDOABLE_STATES or not match.is_held(now):
        raise Conflict(_("Tiden för att ångra har gått ut: värden har fått mejlet."))
    if not cancel_queued_mail(session, f"match:{match.id}:host-notified", now=now):
        raise Conflict(_("Tiden för att ångra har gått ut: värden har fått mejlet."))
    match.state = MatchState.UNDONE
    match.undone_at = now
    match.answer_nonce = None
    if match.newcomer.status == NewcomerStatus.MATCHED:
        match.newcomer.status = NewcomerStatus.WAITING
    proposal = session.scalar(
        select(MatchProposal).where(
            MatchProposal.newcomer_id == match.newcomer_id,
            MatchProposal.host_id == match.host_id,
            MatchProposal.status == ProposalStatus.APPROVED,
        )
    )
    if proposal is not None:
        proposal.status = ProposalStatus.OPEN
        proposal.decided_at = None
        proposal.decided_by_id = None
    session.flush()
    audit.record(session, actor, AuditAction.UNDO_APPROVE, "match", match.id)
    return match


@dataclass
class BatchUndo:
    """What undoing a batch of approvals did."""

    undone: list[Match] = field(default_factory=list)
    too_late: list[Match] = field(default_factory=list)


def held_batch(session: Session, batch: str, *, now: datetime) -> list[Match]:
    """The approvals of ``batch`` that can still be undone."""
    matches = session.scalars(
        select(Match).where(Match.approval_batch == batch).order_by(Match.id)
    ).all()
    return [m for m in matches if m.is_held(now)]


def undo_batch(session: Session, actor: Actor, batch: str, *, now: datetime) -> BatchUndo:
    """Undo every approval of ``batch`` still within its hold (one undo for a bulk approval)."""
    require_coordinator(actor, system=True)
    result = BatchUndo()
    ids = session.scalars(
        select(Match.id).where(Match.approval_batch == batch).order_by(Match.id)
    ).all()
    if not ids:
        raise NotFound(_("Matchningen finns inte."))
    for match_id in ids:
        match = session.get(Match, match_id)
        if match is None:
            raise NotFound(_("Matchningen finns inte."))
        if match.state not in UNDOABLE_STATES:
            continue
        try:
            # undo_approval refuses before it writes anything, so a refusal leaves no trace.
            result.undone.append(undo_approval(session, actor, match_id, now=now))
        except Conflict:
            result.too_late.append(match)
    return result


def held_approvals(session: Session, actor: Actor, *, now: datetime) -> list[Match]:
    """The actor's own approvals that can still be undone, newest first."""
    if actor.id is None:
        return []
    return list(
        session.scalars(
            select(Match)
            .where(
                Match.approved_by_id == actor.id,
                Match.state.in_(UNDOABLE_STATES),
                Match.hold_until > now,
            )
            .order_by(Match.id.desc())
        )
    )


class LinkProblem(Conflict):
    """An emailed link that cannot be used: forged, already used, replaced or too old."""

    status_by_kind = {"invalid": 404, "used": 409, "replaced": 409, "expired": 410}

    def __init__(
        self,
        kind: Literal["invalid", "used", "replaced", "expired"],
        state: MatchState | None = None,
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.state = state  # for "used": what the answer was
        self.status_code = self.status_by_kind[kind]


@dataclass(frozen=True)
class AnswerLink:
    """A valid host answer link: which match and which answer."""

    match: Match
    action: Literal["accept", "decline"]


def check_answer_link(
    session: Session, token: str, *, now: datetime, settings: MatchSettings
) -> AnswerLink:
    """The match and answer an emailed link stands for; LinkProblem if it cannot be used.

    A link works once: after any answer the match has left ``host_notified`` and its nonce is
    cleared, so the same link (or its twin) only shows what was answered.
    """
    try:
        payload = _answer_serializer(settings).loads(token)
    except BadSignature as exc:
        raise LinkProblem("invalid") from exc
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("m"), int)
        or payload.get("a") not in ("accept", "decline")
    ):
        raise LinkProblem("invalid")
    match = session.get(Match, payload["m"])
    if match is None:
        raise LinkProblem("invalid")
    action: Literal["accept", "decline"] = payload["a"]
    if match.state != MatchState.HOST_NOTIFIED:
        raise LinkProblem("used", match.state)
    if match.is_held(now):
        # The email has not gone out: nobody should hold this link yet.
        raise LinkProblem("invalid")
    if payload.get("n") != match.answer_nonce:
        raise LinkProblem("replaced")
    if match.answer_expires_at is None or now > match.answer_expires_at:
        raise LinkProblem("expired")
    return AnswerLink(match, action)


def _link_actor(match: Match) -> SystemActor:
    return SystemActor(f"host {match.host_id} via emailed link")


def accept_by_link(
    session: Session, token: str, *, now: datetime, settings: MatchSettings
) -> Match:
    """The host clicked "accept" in the email (no log-in)."""
    link = check_answer_link(session, token, now=now, settings=settings)
    if link.action != "accept":
        raise LinkProblem("invalid")
    return host_accept(session, _link_actor(link.match), link.match.id, now=now, settings=settings)


def decline_by_link(
    session: Session, token: str, reason: str, *, now: datetime, settings: MatchSettings
) -> Match:
    """The host clicked "decline" in the email (no log-in), optionally saying why."""
    link = check_answer_link(session, token, now=now, settings=settings)
    if link.action != "decline":
        raise LinkProblem("invalid")
    return host_decline(session, _link_actor(link.match), link.match.id, reason, now=now)


def host_accept(
    session: Session, actor: Actor, match_id: int, *, now: datetime, settings: MatchSettings
) -> Match:
    """The host says yes. The newcomer is introduced at once when they have an email address."""
    match = _match(session, match_id, lock=True)
    if not _may_act_for_host(actor, match, now):
        raise NotFound(_("Matchningen finns inte."))
    _refuse_while_held(match, now)
    _move(match, MatchState.ACCEPTED)
    match.accepted_at = now
    match.answer_nonce = None
    session.flush()
    audit.record(session, actor, AuditAction.HOST_ACCEPT, "match", match.id)
    if match.newcomer.email:
        introduce(session, actor, match.id, now=now, settings=settings)
    return match


def host_decline(
    session: Session, actor: Actor, match_id: int, reason: str = "", *, now: datetime
) -> Match:
    """The host says no: the newcomer waits again and this host is not proposed again."""
    match = _match(session, match_id, lock=True)
    if not _may_act_for_host(actor, match, now):
        raise NotFound(_("Matchningen finns inte."))
    _refuse_while_held(match, now)
    _move(match, MatchState.DECLINED)
    match.declined_at = now
    match.decline_reason = _clean(reason)
    match.answer_nonce = None
    if match.newcomer.status == NewcomerStatus.MATCHED:
        match.newcomer.status = NewcomerStatus.WAITING
    session.flush()
    audit.record(session, actor, AuditAction.HOST_DECLINE, "match", match.id)
    return match


# --------------------------------------------------------------------------- introduction onwards


def introduce(
    session: Session, actor: Actor, match_id: int, *, now: datetime, settings: MatchSettings
) -> Match:
    """Give the newcomer the host's first name and contact (by email when they have one).

    Without an email address a coordinator introduces them by phone and records it here.
    """
    match = _match(session, match_id, lock=True)
    if not _may_act_for_host(actor, match, now):
        raise NotFound(_("Matchningen finns inte."))
    _move(match, MatchState.INTRODUCED)
    match.introduced_at = now
    session.flush()
    newcomer, host = match.newcomer, match.host
    if newcomer.email:
        language = _lang(newcomer.preferred_language, settings.public_languages)
        context = {
            "newcomer_first_name": newcomer.first_name,
            "host_first_name": host.first_name,
            "host_email": host.email or "",
            "host_phone": host.phone or "",
            "host_area": host.area or "",
            "host_languages": language_names(host.languages or [], language),
            "reasons": match.reasons_to("newcomer", language),
        }
        queue_templated_mail(
            session,
            key=f"match:{match.id}:introduction",
            to=newcomer.email,
            template="email/match_introduction",
            subject=_l("Möt din AvestaVärd %(name)s", name=host.first_name),
            language=language,
            context=context,
        )
    audit.record(session, actor, AuditAction.INTRODUCE, "match", match.id)
    return match


def met_moment(met_on: date) -> datetime:
    """A meeting day as a stored time: noon in the municipality's time zone, in UTC."""
    return datetime.combine(met_on, time(12), tzinfo=local_zone()).astimezone(UTC)


def mark_met(
    session: Session,
    actor: Actor,
    match_id: int,
    *,
    now: datetime,
    met_on: date | None = None,
) -> Match:
    """The host or a coordinator records the day the first meeting took place.

    ``met_on`` defaults to today; a day in the future, or before the introduction, is refused
    with ValidationFailed (field ``met_on``).
    """
    match = _match(session, match_id, lock=True)
    if not _may_act_for_host(actor, match, now):
        raise NotFound(_("Matchningen finns inte."))
    today = to_local(now).date()
    met_on = met_on or today
    if met_on > today:
        message = _("Dagen kan inte vara i framtiden.")
        raise ValidationFailed(message, {"met_on": message})
    if match.introduced_at is not None and met_on < to_local(match.introduced_at).date():
        message = _("Dagen kan inte vara före introduktionen.")
        raise ValidationFailed(message, {"met_on": message})
    _move(match, MatchState.MET)
    # Today: the moment it was recorded; an earlier day: its noon, never before the introduction.
    moment = now if met_on == today else met_moment(met_on)
    match.met_at = max(moment, match.introduced_at) if match.introduced_at else moment
    session.flush()
    audit.record(session, actor, AuditAction.MET, "match", match.id)
    return match


def end_match(
    session: Session,
    actor: Actor,
    match_id: int,
    reason: str,
    *,
    now: datetime,
    newcomer_waits_again: bool = False,
) -> Match:
    """A coordinator ends a match with a reason; the newcomer may wait for a new host."""
    require_coordinator(actor, system=True)
    reason = _clean(reason)
    if not reason:
        message = _("Skriv varför matchningen avslutas.")
        raise ValidationFailed(message, {"reason": message})
    match = _match(session, match_id, lock=True)
    _move(match, MatchState.ENDED)
    match.ended_at = now
    match.end_reason = reason
    match.answer_nonce = None
    newcomer = match.newcomer
    if newcomer.status == NewcomerStatus.MATCHED:
        newcomer.status = NewcomerStatus.WAITING if newcomer_waits_again else NewcomerStatus.CLOSED
    session.flush()
    audit.record(session, actor, AuditAction.END, "match", match.id)
    return match


# --------------------------------------------------------------------------- follow-up


def _follow_up_serializer(settings: MatchSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=FOLLOW_UP_SALT)


def follow_up_token(settings: MatchSettings, follow_up: MatchFollowUp) -> str:
    """The signed token of one follow-up link."""
    return str(_follow_up_serializer(settings).dumps({"f": follow_up.id}))


def send_follow_ups(session: Session, now: datetime, settings: MatchSettings | None = None) -> int:
    """Ask both sides how it went, one month after the introduction; returns emails queued.

    A sweep: a side that already got its question is skipped, so running it twice (or after
    downtime) sends each question once. Sides without an email address are left to the
    coordinators' phone calls. Imported pairs made before this system are not asked.
    """
    settings = settings or _settings_from_app()
    # Every month is at least 28 days: a cheap filter first, the calendar rule below.
    rough_cutoff = now - timedelta(days=28 * settings.follow_up_after_months)
    candidates = session.scalars(
        select(Match)
        .where(
            Match.state.in_((MatchState.INTRODUCED, MatchState.MET)),
            Match.introduced_at.is_not(None),
            Match.introduced_at <= rough_cutoff,
            Match.source != "import",
        )
        .order_by(Match.id)
    ).all()
    queued = 0
    for match in candidates:
        if match.introduced_at is None:
            raise RuntimeError("follow-up candidates are introduced matches")
        if add_months(match.introduced_at, settings.follow_up_after_months) > now:
            continue
        asked = {f.side for f in match.follow_ups}
        for side in (FollowUpSide.HOST, FollowUpSide.NEWCOMER):
            person: Host | Newcomer = match.host if side == FollowUpSide.HOST else match.newcomer
            if side in asked or not person.email:
                continue
            follow_up = MatchFollowUp(match=match, side=side, sent_at=now)
            session.add(follow_up)
            session.flush()
            allowed = ("sv", "en") if side == FollowUpSide.HOST else settings.public_languages
            language = _lang(person.preferred_language, allowed)
            other = match.newcomer if side == FollowUpSide.HOST else match.host
            context = {
                "first_name": person.first_name,
                "other_first_name": other.first_name,
                "answer_url": settings.follow_up_url(
                    follow_up_token(settings, follow_up), language
                ),
            }
            queue_templated_mail(
                session,
                key=f"match:{match.id}:follow-up:{side.value}",
                to=person.email,
                template="email/followup",  # the same words to the host and the newcomer
                subject=_l("Hur har det gått med %(name)s?", name=other.first_name),
                language=language,
                context=context,
            )
            audit.record(
                session, SystemActor("follow-up"), AuditAction.FOLLOW_UP_SENT, "match", match.id
            )
            queued += 1
    return queued


def check_follow_up_link(
    session: Session, token: str, *, now: datetime, settings: MatchSettings
) -> MatchFollowUp:
    """The follow-up a link stands for; LinkProblem if forged, answered or too old."""
    try:
        payload = _follow_up_serializer(settings).loads(token)
    except BadSignature as exc:
        raise LinkProblem("invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("f"), int):
        raise LinkProblem("invalid")
    follow_up = session.get(MatchFollowUp, payload["f"])
    if follow_up is None:
        raise LinkProblem("invalid")
    if follow_up.answered_at is not None:
        raise LinkProblem("used")
    if now > follow_up.sent_at + timedelta(days=settings.follow_up_link_days):
        raise LinkProblem("expired")
    return follow_up


def _check_fit(fit: int | None) -> None:
    if fit is not None and not 1 <= fit <= 5:
        message = _("Välj ett värde från 1 till 5.")
        raise ValidationFailed(message, {"fit": message})


def _store_follow_up_answer(
    session: Session,
    actor: Actor,
    follow_up: MatchFollowUp,
    *,
    met: bool,
    fit: int | None,
    comment: str,
    now: datetime,
) -> None:
    """One side's answer, however it came (link or phone); "yes, we met" marks an introduced
    match met. Both are audit-logged."""
    follow_up.met = met
    follow_up.fit = fit
    follow_up.comment = _clean(comment)
    follow_up.answered_at = now
    match = follow_up.match
    if met and match.state == MatchState.INTRODUCED:
        _move(match, MatchState.MET)
        match.met_at = now
        audit.record(session, actor, AuditAction.MET, "match", match.id)
    session.flush()
    audit.record(session, actor, AuditAction.FOLLOW_UP_ANSWER, "match", match.id)


def record_follow_up_answer(
    session: Session,
    token: str,
    *,
    met: bool,
    fit: int | None,
    comment: str = "",
    now: datetime,
    settings: MatchSettings,
) -> MatchFollowUp:
    """Store one side's answer (did you meet, fit 1–5); a "yes, we met" marks the match met."""
    follow_up = check_follow_up_link(session, token, now=now, settings=settings)
    _check_fit(fit)
    actor = SystemActor(f"{follow_up.side.value} via follow-up link")
    _store_follow_up_answer(session, actor, follow_up, met=met, fit=fit, comment=comment, now=now)
    return follow_up


def record_follow_up_by_phone(
    session: Session,
    actor: Actor,
    match_id: int,
    side: FollowUpSide,
    *,
    met: bool,
    fit: int | None,
    comment: str = "",
    now: datetime,
) -> MatchFollowUp:
    """A coordinator records one side's follow-up answer given on the phone.

    Works whether or not the question was emailed; an answer already given (by link or phone)
    is not replaced (Conflict). A "yes, we met" marks an introduced match met.
    """
    require_coordinator(actor, system=True)
    match = _match(session, match_id, lock=True)
    if match.state not in (MatchState.INTRODUCED, MatchState.MET, MatchState.ENDED):
        raise Conflict(_("Uppföljningen gäller matchningar där de nyinflyttade är introducerade."))
    _check_fit(fit)
    follow_up = next((f for f in match.follow_ups if f.side == side), None)
    if follow_up is None:
        follow_up = MatchFollowUp(match=match, side=side, sent_at=now)
        session.add(follow_up)
    elif follow_up.answered_at is not None:
        raise Conflict(_("Den här sidan har redan svarat på uppföljningen."))
    _store_follow_up_answer(session, actor, follow_up, met=met, fit=fit, comment=comment, now=now)
    return follow_up


# --------------------------------------------------------------------------- reading


def get_match(session: Session, actor: Actor, match_id: int) -> Match:
    """One match for a coordinator; the view is audit-logged."""
    require_coordinator(actor, system=True)
    match = _match(session, match_id)
    audit.record(session, actor, AuditAction.VIEW, "match", match.id)
    return match


def host_state_label(state: MatchState | str) -> str:
    """A state as the host reads it, written to them (translated in the current locale).

    The one place for host-facing state words; coordinators read :func:`state_label`.
    """
    labels = {
        MatchState.APPROVED: _("väntar på ditt svar"),
        MatchState.HOST_NOTIFIED: _("väntar på ditt svar"),
        MatchState.ACCEPTED: _("du har tackat ja"),
        MatchState.DECLINED: _("du har tackat nej"),
        MatchState.INTRODUCED: _("ni har fått varandras kontaktuppgifter"),
        MatchState.MET: _("ni har träffats"),
        MatchState.ENDED: _("avslutad"),
    }
    return labels.get(MatchState(state), "")


def _visible_to_host(match: Match, now: datetime) -> bool:
    # Until the held email has gone out the host has not been asked; an undone one never was.
    return match.state != MatchState.UNDONE and not match.is_held(now)


def matches_of_host(session: Session, actor: Actor, *, now: datetime | None = None) -> list[Match]:
    """The logged-in host's own matches: those waiting for the host's answer first, then the
    rest newest first. Approvals still held (the host has not been asked) are not shown."""
    host = own_host(session, actor)
    if host is None:
        return []
    now = now or datetime.now(UTC)
    audit.record(session, actor, AuditAction.VIEW_MATCHES, "host", host.id)
    own = session.scalars(
        select(Match).where(Match.host_id == host.id).order_by(Match.approved_at.desc())
    )
    visible = [m for m in own if _visible_to_host(m, now)]
    return sorted(visible, key=lambda m: m.state != MatchState.HOST_NOTIFIED)


def get_own_match(session: Session, actor: Actor, match_id: int) -> Match:
    """One of the logged-in host's own matches; any other id is NotFound (never Forbidden)."""
    host = own_host(session, actor)
    match = session.get(Match, match_id)
    if (
        host is None
        or match is None
        or match.host_id != host.id
        or not _visible_to_host(match, datetime.now(UTC))
    ):
        raise NotFound(_("Matchningen finns inte."))
    audit.record(session, actor, AuditAction.VIEW, "match", match.id)
    return match


def get_own_newcomer(session: Session, actor: Actor, newcomer_id: int) -> tuple[Newcomer, Match]:
    """A newcomer the logged-in host has (or had) a match with, and that match."""
    host = own_host(session, actor)
    match = (
        session.scalar(
            select(Match)
            .where(Match.host_id == host.id, Match.newcomer_id == newcomer_id)
            .order_by(Match.approved_at.desc())
            .limit(1)
        )
        if host is not None
        else None
    )
    # After a decline or an end the host no longer needs, and no longer sees, the person.
    if (
        match is None
        or match.state in (MatchState.DECLINED, MatchState.ENDED)
        or not _visible_to_host(match, datetime.now(UTC))
    ):
        raise NotFound(_("Personen finns inte."))
    audit.record(session, actor, AuditAction.VIEW, "newcomer", newcomer_id)
    return match.newcomer, match
