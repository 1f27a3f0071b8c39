"""The coordinators' lists of hosts and newcomers: filter, sort and page in SQL.

A list is described by a :class:`ListQuery` (what the URL says: ``q``, ``sort``, ``page`` and one
value per filter) and answered as a :class:`ListPage` with the total count. Every filter and
sort runs in the database, so a page costs the same few queries with 20 or 20,000 people. The
same query without paging gives the rows of an export of what is on screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from avestavard.models import AuditAction, Host, HostStatus, Newcomer, NewcomerStatus
from avestavard.models.matches import ACTIVE_MATCH_STATES, Match
from avestavard.services.audit import Actor, record
from avestavard.services.authorization import require_coordinator
from avestavard.services.paging import Paged, clamp_page
from avestavard.services.search import SearchKind, search

ListKind = Literal["hosts", "newcomers"]
PER_PAGE = 50
MAX_PER_PAGE = 200
# An export is everything the filter finds, up to this many rows.
EXPORT_LIMIT = 50_000
# With a search text, the list shows at most this many of the best hits.
SEARCH_LIMIT = 150


@dataclass(frozen=True)
class ListQuery:
    """What the list shows; ``sort`` is a column name, ``-`` before it for descending."""

    q: str = ""
    sort: str = ""
    page: int = 1
    per_page: int = PER_PAGE
    filters: Mapping[str, str] = field(default_factory=dict)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query as URL arguments (empty values left out), with ``changes`` applied."""
        values: dict[str, Any] = {"q": self.q, "sort": self.sort, "page": self.page}
        values.update(self.filters)
        values.update(changes)
        if values.get("page") == 1:
            values.pop("page")
        return {k: v for k, v in values.items() if v not in ("", None)}


@dataclass(frozen=True)
class ListRow:
    """One person on the list with the figures computed in SQL."""

    person: Any
    active_matches: int = 0
    waiting_days: int | None = None


@dataclass(frozen=True)
class ListPage(Paged):
    """One page of the list and how many rows the filter finds in all."""

    rows: Sequence[ListRow]
    total: int
    page: int
    per_page: int
    sort: str


def _active_count(model: type[Host] | type[Newcomer]) -> Any:
    column = Match.host_id if model is Host else Match.newcomer_id
    return (
        select(func.count(Match.id))
        .where(column == model.id, Match.state.in_(ACTIVE_MATCH_STATES))
        .correlate(model)
        .scalar_subquery()
    )


def _has_language(model: type[Host] | type[Newcomer], code: str) -> ColumnElement[bool]:
    # The JSON list's text holds each code in quotes on SQLite and PostgreSQL alike.
    return cast(model.languages, String).like(f'%"{code}"%')


def _waiting_since(model: type[Newcomer]) -> Any:
    return func.coalesce(model.confirmed_at, model.registered_at)


HOST_SORTS = ("name", "area", "capacity", "free", "status", "created")
NEWCOMER_SORTS = ("name", "area", "waiting", "moved_in", "status", "registered")
HOST_FILTERS = ("area", "language", "status", "free")
NEWCOMER_FILTERS = ("area", "language", "status", "waiting_before")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _common_select(
    model: type[Host] | type[Newcomer],
    statuses: type[HostStatus] | type[NewcomerStatus],
    query: ListQuery,
    ids: list[int] | None,
) -> Select[Any]:
    """Hosts or newcomers with their number of active matches, narrowed by the search hits
    (``ids``) and the filters both lists have: area, a language spoken, status."""
    stmt = select(model, _active_count(model).label("active"))
    f = query.filters
    if ids is not None:
        stmt = stmt.where(model.id.in_(ids))
    if f.get("area"):
        stmt = stmt.where(model.area == f["area"])
    if f.get("language"):
        stmt = stmt.where(_has_language(model, f["language"]))
    if f.get("status") in {s.value for s in statuses}:
        stmt = stmt.where(model.status == statuses(f["status"]))
    return stmt


def _host_select(query: ListQuery, ids: list[int] | None) -> tuple[Select[Any], dict[str, Any]]:
    stmt = _common_select(Host, HostStatus, query, ids)
    f = query.filters
    if f.get("free") == "yes":
        stmt = stmt.where(Host.status == HostStatus.ACTIVE, Host.capacity > _active_count(Host))
    sorts = {
        "name": Host.name,
        "area": Host.area,
        "capacity": Host.capacity,
        "free": Host.capacity - _active_count(Host),
        "status": Host.status,
        "created": Host.created_at,
    }
    return stmt, sorts


def _newcomer_select(query: ListQuery, ids: list[int] | None) -> tuple[Select[Any], dict[str, Any]]:
    stmt = _common_select(Newcomer, NewcomerStatus, query, ids)
    f = query.filters
    before = _date(f.get("waiting_before", ""))
    if before is not None:
        limit = datetime.combine(before, time.min, tzinfo=UTC)
        stmt = stmt.where(_waiting_since(Newcomer) < limit)
    sorts = {
        "name": Newcomer.name,
        "area": Newcomer.area,
        "waiting": _waiting_since(Newcomer),
        "moved_in": Newcomer.moved_in,
        "status": Newcomer.status,
        "registered": Newcomer.registered_at,
    }
    return stmt, sorts


def default_sort(kind: ListKind) -> str:
    """Hosts by name; newcomers by how long they have waited, the longest first."""
    return "name" if kind == "hosts" else "waiting"


def _statement(session: Session, kind: ListKind, query: ListQuery) -> tuple[Select[Any], str, Any]:
    ids: list[int] | None = None
    if query.q.strip():
        search_kind: SearchKind = "host" if kind == "hosts" else "newcomer"
        hits = search(session, query.q, kinds=(search_kind,), limit=SEARCH_LIMIT)
        ids = [hit.ref_id for hit in hits]
    model: Any = Host if kind == "hosts" else Newcomer
    stmt, sorts = (_host_select if kind == "hosts" else _newcomer_select)(query, ids)
    sort = query.sort if query.sort.lstrip("-") in sorts else default_sort(kind)
    column = sorts[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column.asc()
    stmt = stmt.order_by(order.nulls_last(), model.id)
    return stmt, sort, model


def _rows(result: Any, now: datetime) -> list[ListRow]:
    rows = []
    for person, active in result:
        waiting = None
        if isinstance(person, Newcomer) and person.status in (
            NewcomerStatus.WAITING,
            NewcomerStatus.UNCONFIRMED,
        ):
            waiting = max(0, (now - person.waiting_since).days)
        rows.append(ListRow(person, int(active or 0), waiting))
    return rows


def list_people(
    session: Session,
    actor: Actor,
    kind: ListKind,
    query: ListQuery,
    *,
    now: datetime | None = None,
) -> ListPage:
    """One page of hosts or newcomers as ``query`` asks: one count and one page query.
    Logged as a view of the list."""
    require_coordinator(actor)
    record(session, actor, AuditAction.VIEW_LIST, kind)
    now = now or datetime.now(UTC)
    stmt, sort, _model = _statement(session, kind, query)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = clamp_page(query.page, total, per_page)
    result = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return ListPage(_rows(result, now), total, page, per_page, sort)


def list_for_export(session: Session, actor: Actor, kind: ListKind, query: ListQuery) -> list[Any]:
    """Every person the filter finds, in the list's order (for CSV and Excel exports; logged)."""
    require_coordinator(actor)
    stmt, _sort, _model = _statement(session, kind, query)
    record(session, actor, AuditAction.EXPORT_LIST, kind)
    return [row[0] for row in session.execute(stmt.limit(EXPORT_LIMIT))]


def list_areas(session: Session, kind: ListKind) -> list[str]:
    """The areas that occur on the list, for its filter."""
    model: Any = Host if kind == "hosts" else Newcomer
    stmt = select(model.area).where(model.area.is_not(None)).distinct().order_by(model.area)
    return [area for area in session.scalars(stmt) if area]
