"""Writing the anonymous event log (:class:`~avestavard.models.figures.FigureEvent`).

Every change the services make to newcomers, hosts, matches, follow-ups and households goes
through a flush of the ORM session; :func:`_record_changes` runs before each flush, compares each
changed object with what the database held before, and adds the matching events to the same
flush, so an event is committed exactly when the change is and is rolled back with it. Each event
carries the date of the step itself (a match's ``accepted_at``, a newcomer's ``confirmed_at``),
which is what makes imported history count on its own dates; a change without a date of its own
(pausing a host, an erasure) is dated by the clock.

Two kinds of change bypass the ORM and are recorded by their service directly:
:func:`record_letter` (letters are inserted with "on conflict do nothing") and
:func:`record_mail_failure` (the mail sender updates its rows with plain SQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, event, func, insert, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from avestavard.models.base import utcnow
from avestavard.models.figures import FigureEvent, FigureKind
from avestavard.models.letters import LetterHousehold
from avestavard.models.matches import ACTIVE_MATCH_STATES, Match, MatchFollowUp, MatchState
from avestavard.models.people import Host, HostStatus, Newcomer, NewcomerStatus

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

# The timestamp column of each step of a match, and the event it records.
_MATCH_STEPS: tuple[tuple[str, FigureKind], ...] = (
    ("approved_at", FigureKind.APPROVED),
    ("accepted_at", FigureKind.ACCEPTED),
    ("declined_at", FigureKind.DECLINED),
    ("introduced_at", FigureKind.INTRODUCED),
    ("met_at", FigureKind.MET),
    ("ended_at", FigureKind.ENDED),
)
# The column whose time a match's state is dated by.
_STATE_TIME = {
    MatchState.APPROVED: "approved_at",
    MatchState.HOST_NOTIFIED: "host_notified_at",
    MatchState.ACCEPTED: "accepted_at",
    MatchState.DECLINED: "declined_at",
    MatchState.INTRODUCED: "introduced_at",
    MatchState.MET: "met_at",
    MatchState.ENDED: "ended_at",
    MatchState.UNDONE: "undone_at",
}


def local_day(moment: datetime | date) -> date:
    """The day (Europe/Stockholm) a moment falls on; a date is its own day."""
    if isinstance(moment, datetime):
        return moment.astimezone(LOCAL_ZONE).date()
    return moment


def event_values(
    kind: FigureKind,
    on: datetime | date,
    *,
    value: int = 1,
    channel: str | None = None,
    stage: int | None = None,
    since: date | None = None,
) -> dict[str, Any]:
    """One event as column values, for inserts without the ORM (bulk backfills)."""
    day = local_day(on)
    return {
        "kind": kind.value,
        "occurred_on": day,
        "month": day.strftime("%Y-%m"),
        "value": value,
        "channel": channel,
        "stage": stage,
        "since": since,
        "recorded_at": utcnow(),
    }


def _event(kind: FigureKind, on: datetime | date, **dims: Any) -> FigureEvent:
    """One event as a row to add to the session (``dims`` as :func:`event_values` takes them)."""
    return FigureEvent(**event_values(kind, on, **dims))


def record_letter(session: Session, *, stage: int, channel: str, run_date: date) -> None:
    """A welcome letter was created by the run made for ``run_date``."""
    session.add(_event(FigureKind.LETTER, run_date, stage=stage, channel=channel))


def record_mail_failure(connection: Connection, at: datetime) -> None:
    """The mail server refused a message for good (the sender works on a plain connection)."""
    connection.execute(insert(FigureEvent).values(**event_values(FigureKind.MAIL_FAILED, at)))


# --------------------------------------------------------------------------- the flush hook


def _days(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, (local_day(end) - local_day(start)).days)


def _old(obj: Any, name: str) -> Any:
    """The value ``name`` had in the database before this flush (None for a new object)."""
    state = inspect(obj)
    if state.pending or state.transient:
        return None
    history = state.attrs[name].history
    if not history.has_changes():
        return getattr(obj, name)
    if history.deleted:
        return history.deleted[0]
    # Set without being loaded first: read what the database holds.
    mapper = state.mapper
    column = mapper.columns[name]
    key = mapper.primary_key[0]
    session = state.session
    if session is None:
        raise RuntimeError("figure events are recorded for objects in a session")
    with session.no_autoflush:
        return session.execute(select(column).where(key == state.identity[0])).scalar_one_or_none()


def _set_now(obj: Any, name: str) -> Any:
    """The value ``name`` will have after this flush if it was set in it, else None."""
    history = inspect(obj).attrs[name].history
    return history.added[0] if history.added else None


@dataclass
class _FlushEvents:
    """The events one flush adds, and the dates that changes without one of their own take."""

    now: datetime
    events: list[FigureEvent] = field(default_factory=list)
    newcomer_moments: dict[int, datetime] = field(default_factory=dict)  # newcomer id → moment
    host_moments: dict[int, datetime] = field(default_factory=dict)  # host id → moment

    def add(self, kind: FigureKind, on: datetime | date, **dims: Any) -> None:
        self.events.append(_event(kind, on, **dims))

    def change(
        self,
        kind: FigureKind,
        before: Any,
        after: Any,
        on: datetime,
        *,
        since: tuple[date | None, date | None] = (None, None),
    ) -> None:
        """A state counted at a date moved from ``before`` to ``after`` (None: not counted)."""
        if (before, since[0]) == (after, since[1]):
            return
        if before is not None:
            self.add(kind, on, value=-1, channel=str(before), since=since[0])
        if after is not None:
            self.add(kind, on, value=1, channel=str(after), since=since[1])


def _later(moments: dict[int, datetime], key: int, moment: datetime) -> None:
    moments[key] = max(moment, moments.get(key, moment))


def _waiting_since(registered: datetime | None, confirmed: datetime | None) -> date | None:
    start = confirmed or registered
    return local_day(start) if start is not None else None


def _match_moment(match: Match, state: MatchState | None, fallback: datetime) -> datetime:
    if state is None:
        return fallback
    moment = getattr(match, _STATE_TIME.get(state, ""), None)
    return moment if isinstance(moment, datetime) else fallback


def _matches(flush: _FlushEvents, session: Session, changed: Iterable[Match]) -> dict[int, int]:
    """Events of changed matches; returns each host's change in active matches."""
    active_delta: dict[int, int] = defaultdict(int)
    for match in changed:
        deleted = match in session.deleted
        before = _old(match, "state")
        after = None if deleted else MatchState(match.state or MatchState.APPROVED)
        if not deleted:
            for column, kind in _MATCH_STEPS:
                moment = getattr(match, column) if match in session.new else _set_now(match, column)
                if not isinstance(moment, datetime):
                    continue
                dims: dict[str, Any] = {}
                if kind == FigureKind.APPROVED:
                    dims["channel"] = match.source
                if kind in (FigureKind.ACCEPTED, FigureKind.DECLINED):
                    dims["value"] = _days(match.host_notified_at or match.approved_at, moment) or 0
                flush.add(kind, moment, **dims)
            if after == MatchState.UNDONE and before != MatchState.UNDONE:
                # The approval never took effect: it is taken back on the day it was made.
                flush.add(
                    FigureKind.APPROVAL_UNDONE, match.approved_at or flush.now, channel=match.source
                )
        moment = _match_moment(match, after, flush.now)
        flush.change(FigureKind.MATCHES, before, after, moment)
        was_active = before is not None and MatchState(before) in ACTIVE_MATCH_STATES
        is_active = after is not None and after in ACTIVE_MATCH_STATES
        if was_active != is_active:
            active_delta[match.host_id] += 1 if is_active else -1
            _later(flush.host_moments, match.host_id, moment)
        if match.newcomer_id is not None:
            _later(flush.newcomer_moments, match.newcomer_id, moment)
    return active_delta


def _newcomers(flush: _FlushEvents, session: Session, changed: Iterable[Newcomer]) -> None:
    for newcomer in changed:
        new = newcomer in session.new
        deleted = newcomer in session.deleted
        registered = newcomer.registered_at or flush.now
        if new:
            flush.add(FigureKind.REGISTERED, registered)
        confirmed = newcomer.confirmed_at if new else _set_now(newcomer, "confirmed_at")
        if (
            not deleted
            and isinstance(confirmed, datetime)
            and _old(newcomer, "confirmed_at") is None
        ):
            flush.add(FigureKind.CONFIRMED, confirmed)
        before = _old(newcomer, "status")
        after = None if deleted else NewcomerStatus(newcomer.status or NewcomerStatus.UNCONFIRMED)
        before_since = (
            _waiting_since(_old(newcomer, "registered_at"), _old(newcomer, "confirmed_at"))
            if before == NewcomerStatus.WAITING
            else None
        )
        after_since = (
            _waiting_since(registered, newcomer.confirmed_at)
            if after == NewcomerStatus.WAITING
            else None
        )
        # Dated by its own step (registration, confirmation) or by the match that moved it.
        moments = (
            [m for m in (registered, newcomer.confirmed_at) if m is not None]
            if new
            else [
                m
                for m in (
                    _set_now(newcomer, "registered_at"),
                    _set_now(newcomer, "confirmed_at"),
                    _set_now(newcomer, "paused_at"),
                )
                if isinstance(m, datetime)
            ]
        )
        if newcomer.id in flush.newcomer_moments:
            moments.append(flush.newcomer_moments[newcomer.id])
        moment = max(moments) if moments else flush.now
        flush.change(FigureKind.NEWCOMERS, before, after, moment, since=(before_since, after_since))
        if before == NewcomerStatus.WAITING and after != NewcomerStatus.WAITING:
            waited = (local_day(moment) - before_since).days if before_since else 0
            flush.add(
                FigureKind.WAIT_ENDED,
                moment,
                value=max(0, waited),
                channel=str(after) if after is not None else "erased",
            )


def _host_created(host: Host, fallback: datetime) -> datetime:
    if host.created_at is not None:
        return host.created_at
    if host.interviewed_on is not None:
        return datetime.combine(host.interviewed_on, datetime.min.time(), tzinfo=LOCAL_ZONE)
    return fallback


def _free_places(status: Any, capacity: int | None, active: int) -> int:
    return max(0, (capacity or 0) - active) if status == HostStatus.ACTIVE else 0


def _hosts(
    flush: _FlushEvents, session: Session, changed: set[Host], active_delta: dict[int, int]
) -> None:
    for host in changed:
        new = host in session.new
        if new:
            flush.add(FigureKind.HOST_ADDED, _host_created(host, flush.now))
        interviewed = host.interviewed_on if new else _set_now(host, "interviewed_on")
        if isinstance(interviewed, date) and host not in session.deleted:
            flush.add(FigureKind.INTERVIEW, interviewed)
        before = _old(host, "status")
        after = None if host in session.deleted else HostStatus(host.status or HostStatus.ACTIVE)
        flush.change(
            FigureKind.HOSTS, before, after, _host_created(host, flush.now) if new else flush.now
        )
    # Free places: what each active host has left; the change per host is one event.
    hosts = {host.id: host for host in changed if host.id is not None}
    ids = set(active_delta) | set(hosts)
    with session.no_autoflush:
        for host_id in set(active_delta) - set(hosts):
            found = session.get(Host, host_id)
            if found is not None:
                hosts[host_id] = found
        counts: dict[int, int] = (
            {
                host_id: count
                for host_id, count in session.execute(
                    select(Match.host_id, func.count())
                    .where(Match.host_id.in_(ids), Match.state.in_(ACTIVE_MATCH_STATES))
                    .group_by(Match.host_id)
                ).all()
            }
            if ids
            else {}
        )
    for host in [*hosts.values(), *(h for h in changed if h.id is None)]:
        old_count = counts.get(host.id, 0) if host.id is not None else 0
        new_count = old_count + active_delta.get(host.id, 0)
        old_free = _free_places(_old(host, "status"), _old(host, "capacity"), old_count)
        new_free = (
            0
            if host in session.deleted
            else _free_places(
                host.status or HostStatus.ACTIVE,
                1 if host.capacity is None else host.capacity,
                new_count,
            )
        )
        if new_free != old_free:
            if host in session.new:
                moment = _host_created(host, flush.now)
            else:
                moment = flush.host_moments.get(host.id, flush.now)
            flush.add(FigureKind.FREE_PLACES, moment, value=new_free - old_free)


_MOMENTS = "figure_event_moments"
_WATCHED = (Newcomer, Host, Match, MatchFollowUp, LetterHousehold)


def _record_changes(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    """Before each flush: add the events of what this flush changes (see the module docstring)."""
    touched = [
        o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, _WATCHED)
    ]
    if not touched:
        return
    # A service often flushes a match and the newcomer it moves separately (a lazy load flushes
    # first), so the moments of a transaction's matches are kept until it ends.
    moments = session.info.setdefault(_MOMENTS, ({}, {}))
    flush = _FlushEvents(now=utcnow(), newcomer_moments=moments[0], host_moments=moments[1])
    matches = [o for o in touched if isinstance(o, Match)]
    active_delta = _matches(flush, session, matches)
    _newcomers(flush, session, [o for o in touched if isinstance(o, Newcomer)])
    _hosts(flush, session, {o for o in touched if isinstance(o, Host)}, active_delta)
    for obj in touched:
        if isinstance(obj, MatchFollowUp) and obj not in session.deleted:
            fit = obj.fit if obj in session.new else _set_now(obj, "fit")
            if isinstance(fit, int) and _old(obj, "fit") is None:
                flush.add(
                    FigureKind.RATING, obj.answered_at or flush.now, value=fit, channel=obj.side
                )
        elif isinstance(obj, LetterHousehold) and obj not in session.deleted:
            unsubscribed = (
                obj.unsubscribed_at if obj in session.new else _set_now(obj, "unsubscribed_at")
            )
            if isinstance(unsubscribed, datetime) and _old(obj, "unsubscribed_at") is None:
                flush.add(FigureKind.UNSUBSCRIBED, unsubscribed)
    session.add_all(flush.events)


def _forget_moments(session: Session) -> None:
    session.info.pop(_MOMENTS, None)


def listen(target: Any = Session) -> None:
    """Record events on every flush of ``target`` (a session class or factory); idempotent."""
    if not event.contains(target, "before_flush", _record_changes):
        event.listen(target, "before_flush", _record_changes)
        event.listen(target, "after_commit", _forget_moments)
        event.listen(target, "after_rollback", _forget_moments)
