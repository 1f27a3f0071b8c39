"""The coordinators' list of matches: filter, sort and page in SQL.

The URL says what is shown (``q``, ``sort``, ``page``, ``state`` and ``month``, see
:class:`avestavard.services.person_lists.ListQuery`); a page costs a fixed number of queries
whatever the number of matches. ``q`` finds the host or the newcomer through the workspace
search (folded names, email, phone, area, interests). The same query without paging gives the
rows of an export of what is on screen.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload
from sqlalchemy.sql import Select

from avestavard.localtime import local_zone
from avestavard.models import AuditAction, Host, Newcomer
from avestavard.models.matches import Match, MatchFollowUp, MatchState
from avestavard.services.audit import Actor, record
from avestavard.services.authorization import require_coordinator
from avestavard.services.calendar_months import add_months
from avestavard.services.paging import Paged, clamp_page
from avestavard.services.person_lists import EXPORT_LIMIT, MAX_PER_PAGE, SEARCH_LIMIT, ListQuery
from avestavard.services.search import search

MATCH_SORTS = ("host", "newcomer", "state", "approved", "met", "updated")
MATCH_FILTERS = ("state", "month")
DEFAULT_SORT = "-approved"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# Both people with each match, without their interests (the list does not show them).
_PAGE_LOADS = (
    joinedload(Match.host).lazyload(Host.interests),
    joinedload(Match.newcomer).lazyload(Newcomer.interests),
)


@dataclass(frozen=True)
class MatchPage(Paged):
    """One page of matches, how many the filter finds, and how many there are per state."""

    rows: Sequence[Match]
    total: int
    page: int
    per_page: int
    sort: str
    by_state: dict[MatchState, int]


def month_bounds(text: str) -> tuple[datetime, datetime] | None:
    """``"2026-11"`` -> the first moments of that month and the next, in Swedish time."""
    found = _MONTH.match(text or "")
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        return None
    start = datetime(int(found.group(1)), int(found.group(2)), 1, tzinfo=local_zone())
    return start, add_months(start, 1)


def _found(session: Session, query: ListQuery) -> tuple[list[int], list[int]] | None:
    """The hosts and newcomers the search text finds (None: no search text)."""
    if not query.q.strip():
        return None
    hits = search(session, query.q, kinds=("host", "newcomer"), limit=SEARCH_LIMIT)
    return (
        [hit.ref_id for hit in hits if hit.kind == "host"],
        [hit.ref_id for hit in hits if hit.kind == "newcomer"],
    )


def _conditions(
    query: ListQuery, found: tuple[list[int], list[int]] | None, *, with_state: bool = True
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if found is not None:
        host_ids, newcomer_ids = found
        conditions.append(or_(Match.host_id.in_(host_ids), Match.newcomer_id.in_(newcomer_ids)))
    state = query.filters.get("state", "")
    if with_state and state in {s.value for s in MatchState}:
        conditions.append(Match.state == MatchState(state))
    bounds = month_bounds(query.filters.get("month", ""))
    if bounds is not None:
        conditions += [Match.approved_at >= bounds[0], Match.approved_at < bounds[1]]
    return conditions


def _ordered(stmt: Select[Any], query: ListQuery) -> Select[Any]:
    """``stmt`` in the list's order; the people's tables are joined only to sort by a name."""
    sort = effective_sort(query)
    key = sort.lstrip("-")
    column: Any
    if key == "host":
        host = aliased(Host)
        stmt = stmt.join(host, host.id == Match.host_id)
        column = host.name
    elif key == "newcomer":
        newcomer = aliased(Newcomer)
        stmt = stmt.join(newcomer, newcomer.id == Match.newcomer_id)
        column = newcomer.name
    else:
        column = {
            "state": Match.state,
            "approved": Match.approved_at,
            "met": Match.met_at,
            "updated": Match.updated_at,
        }[key]
    order = column.desc() if sort.startswith("-") else column.asc()
    if key == "met":  # the only column that may be empty: those last either way
        order = order.nulls_last()
    return stmt.order_by(order, Match.id.desc())


def effective_sort(query: ListQuery) -> str:
    """The sort the list uses: the asked one when it is known, else the newest approval first."""
    return query.sort if query.sort.lstrip("-") in MATCH_SORTS else DEFAULT_SORT


def list_matches(session: Session, actor: Actor, query: ListQuery) -> MatchPage:
    """One page of matches as ``query`` asks: counts per state, one count and one page query
    (plus the follow-ups of the rows on the page). Logged as a view of the list."""
    require_coordinator(actor)
    record(session, actor, AuditAction.VIEW_LIST, "matches")
    found = _found(session, query)
    conditions = _conditions(query, found)
    total = session.scalar(select(func.count(Match.id)).where(*conditions)) or 0
    # Per state under the other filters, so the state choices say how many each would show.
    by_state = {state: 0 for state in MatchState}
    for state, count in session.execute(
        select(Match.state, func.count(Match.id))
        .where(*_conditions(query, found, with_state=False))
        .group_by(Match.state)
    ):
        by_state[MatchState(state)] = int(count)
    per_page = min(max(query.per_page, 1), MAX_PER_PAGE)
    page = clamp_page(query.page, total, per_page)
    # The page's ids first, sorted on the narrow rows (id and the sort column), then those
    # matches with their people: a late page does not sort every match's full row.
    ids = session.scalars(
        _ordered(select(Match.id).where(*conditions), query)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    loaded = {
        match.id: match
        for match in session.scalars(
            select(Match)
            .where(Match.id.in_(ids))
            .options(*_PAGE_LOADS, selectinload(Match.follow_ups))
        ).unique()
    }
    rows = [loaded[match_id] for match_id in ids]
    return MatchPage(rows, total, page, per_page, effective_sort(query), by_state)


def matches_for_export(session: Session, actor: Actor, query: ListQuery) -> list[Match]:
    """Every match the filter finds, in the list's order (for CSV and Excel exports; logged)."""
    require_coordinator(actor)
    conditions = _conditions(query, _found(session, query))
    stmt = _ordered(select(Match).where(*conditions), query).options(*_PAGE_LOADS)
    record(session, actor, AuditAction.EXPORT_LIST, "matches")
    return list(session.scalars(stmt.limit(EXPORT_LIMIT)).unique())


# A follow-up answer coordinators should look at: no meeting, or a fit of 1 or 2 (the same
# rule as MatchFollowUp.is_poor_fit, in SQL).
_POOR_FIT = and_(
    MatchFollowUp.answered_at.is_not(None),
    or_(MatchFollowUp.met.is_(False), MatchFollowUp.fit <= 2),
)
FLAGGED_SHOWN = 50


@dataclass
class FollowUpSummary:
    """How many follow-up questions were answered, and the answers to look at (newest first)."""

    flagged: list[MatchFollowUp]
    answered: int
    asked: int


def follow_up_summary(session: Session, actor: Actor) -> FollowUpSummary:
    """Follow-up results for the matches page: two counts and the latest poor fits, in SQL."""
    require_coordinator(actor, system=True)
    asked, answered = session.execute(
        select(func.count(MatchFollowUp.id), func.count(MatchFollowUp.answered_at))
    ).one()
    flagged = session.scalars(
        select(MatchFollowUp)
        .where(_POOR_FIT)
        .options(
            joinedload(MatchFollowUp.match).joinedload(Match.host).lazyload(Host.interests),
            joinedload(MatchFollowUp.match).joinedload(Match.newcomer).lazyload(Newcomer.interests),
        )
        .order_by(MatchFollowUp.answered_at.desc(), MatchFollowUp.id.desc())
        .limit(FLAGGED_SHOWN)
    ).all()
    return FollowUpSummary(list(flagged), int(answered or 0), int(asked or 0))
