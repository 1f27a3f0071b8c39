"""Reading the audit log: who viewed or changed which person, and when.

Administrators and coordinators read it, for example to answer a person's request to know who
has looked at their data. Filters: one person (``subject_type`` and ``subject_id``, found by the
workspace search), one actor, one action and a date range in local time. The log holds no field
values; the page names the people its events are about while they exist ("raderad person"
after), read from their records when the page is shown.

A person's events include those about their matches (a host's or newcomer's match is about
them too) and, for a newcomer, about the household record linked to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from avestavard.errors import PermissionDenied, ValidationFailed
from avestavard.models import AuditAction, AuditEvent, Host, Newcomer, Role, User
from avestavard.models.letters import LetterHousehold
from avestavard.models.matches import Match
from avestavard.models.vocabulary import TaughtWord
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.paging import Paged, clamp_page
from avestavard.services.search import SearchHit, search

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Filtering on "the system" (jobs, imports, public forms) rather than on one account.
SYSTEM_ACTOR = "system"
# The records an event can be about that the log can be filtered on (one URL argument each).
SUBJECT_KINDS = ("host", "newcomer", "user", "match", "household")
# How many people a typed name may find before the reader is asked to choose.
PERSON_CHOICES = 10


@dataclass(frozen=True)
class AuditQuery:
    """What to show: every filter is optional; ``date_to`` is inclusive."""

    subject_type: str | None = None
    subject_id: int | None = None
    actor_id: int | None = None
    system_actor: bool = False  # events without an account (jobs, imports, public forms)
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


@dataclass(frozen=True)
class AuditPage(Paged):
    """One page of events, newest first (the previous page is newer, the next one older)."""

    events: Sequence[AuditEvent]
    total: int
    page: int
    per_page: int


def find_people(session: Session, actor: Actor, text: str) -> list[SearchHit]:
    """Hosts and newcomers a typed name, email or phone number finds (the workspace search),
    best first, for the log's person filter."""
    if not _may_read_log(actor):
        raise PermissionDenied()
    return search(session, text, kinds=("host", "newcomer"), limit=PERSON_CHOICES)


def subject_names(
    session: Session, subjects: Iterable[tuple[str, int | None]]
) -> dict[tuple[str, int], str | None]:
    """What to call each (kind, id) the page shows: a person's or an account's name, a match
    as "host – newcomer", a taught word as it was typed; None when the record no longer exists
    (erased, or the word removed). One query per kind."""
    wanted: dict[str, set[int]] = {}
    for kind, ref in subjects:
        if ref is not None and kind in ("host", "newcomer", "user", "match", "taught_word"):
            wanted.setdefault(kind, set()).add(ref)
    names: dict[tuple[str, int], str | None] = {
        (kind, ref): None for kind, refs in wanted.items() for ref in refs
    }
    if wanted.get("host"):
        for ref, name in session.execute(
            select(Host.id, Host.name).where(Host.id.in_(wanted["host"]))
        ):
            names[("host", ref)] = name
    if wanted.get("newcomer"):
        for ref, name in session.execute(
            select(Newcomer.id, Newcomer.name).where(Newcomer.id.in_(wanted["newcomer"]))
        ):
            names[("newcomer", ref)] = name
    if wanted.get("user"):
        for ref, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(wanted["user"]))
        ):
            names[("user", ref)] = name or email
    if wanted.get("match"):
        host, newcomer = Host.__table__.alias("h"), Newcomer.__table__.alias("n")
        for ref, host_name, newcomer_name in session.execute(
            select(Match.id, host.c.name, newcomer.c.name)
            .join(host, host.c.id == Match.host_id)
            .join(newcomer, newcomer.c.id == Match.newcomer_id)
            .where(Match.id.in_(wanted["match"]))
        ):
            names[("match", ref)] = f"{host_name} – {newcomer_name}"
    if wanted.get("taught_word"):
        for ref, word in session.execute(
            select(TaughtWord.id, TaughtWord.word).where(TaughtWord.id.in_(wanted["taught_word"]))
        ):
            names[("taught_word", ref)] = f"”{word}”"
    return names


def _may_read_log(actor: Actor) -> bool:
    return getattr(actor, "role", None) in (Role.ADMIN, Role.COORDINATOR)


def _subject_condition(session: Session, subject_type: str, subject_id: int) -> ColumnElement[bool]:
    """The person's own events and those of the records that are about them."""
    own = and_(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
    related: list[ColumnElement[bool]] = []
    if subject_type in ("host", "newcomer"):
        column = Match.host_id if subject_type == "host" else Match.newcomer_id
        match_ids = select(Match.id).where(column == subject_id)
        related.append(
            and_(AuditEvent.subject_type == "match", AuditEvent.subject_id.in_(match_ids))
        )
    if subject_type == "newcomer":
        household_ids = select(LetterHousehold.id).where(LetterHousehold.newcomer_id == subject_id)
        related.append(
            and_(AuditEvent.subject_type == "household", AuditEvent.subject_id.in_(household_ids))
        )
    return or_(own, *related) if related else own


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _conditions(session: Session, query: AuditQuery, tz: tzinfo) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.subject_type:
        if query.subject_id is None:
            conditions.append(AuditEvent.subject_type == query.subject_type)
        else:
            conditions.append(_subject_condition(session, query.subject_type, query.subject_id))
    if query.system_actor:
        conditions.append(AuditEvent.actor_id.is_(None))
    elif query.actor_id is not None:
        conditions.append(AuditEvent.actor_id == query.actor_id)
    if query.action:
        conditions.append(AuditEvent.action == query.action)
    if query.date_from is not None:
        conditions.append(AuditEvent.at >= _local_midnight(query.date_from, tz))
    if query.date_to is not None:
        conditions.append(AuditEvent.at < _local_midnight(query.date_to + timedelta(days=1), tz))
    return conditions


def read_audit_log(
    session: Session, actor: Actor, query: AuditQuery, *, tz: tzinfo = UTC
) -> AuditPage:
    """One page of the events that match ``query``, newest first; dates are days in ``tz``.

    Reading the log is itself logged (on the person when one is filtered on), after the page
    is read, so a page does not show its own reading.
    """
    if not _may_read_log(actor):
        raise PermissionDenied()
    if query.date_from and query.date_to and query.date_from > query.date_to:
        message = "date_from after date_to"
        raise ValidationFailed(message, {"date_to": message})
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    conditions = _conditions(session, query, tz)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    page = clamp_page(query.page, total, per_page)
    events = session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    person = query.subject_id is not None
    audit.record(
        session,
        actor,
        AuditAction.VIEW_AUDIT_LOG,
        query.subject_type if person and query.subject_type else "",
        query.subject_id if person else None,
    )
    session.flush()
    return AuditPage(events=events, total=total, page=page, per_page=per_page)


def actor_accounts(session: Session) -> Sequence[User]:
    """Every account that could appear as an actor, for the filter's choices."""
    return session.scalars(select(User).order_by(User.email)).all()
