"""Finding hosts and newcomers for the coordinators' lists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from avestavard.models import AuditAction, Host, Newcomer
from avestavard.services.audit import Actor, record
from avestavard.services.authorization import require_coordinator


def _matches_words(model: type[Host] | type[Newcomer], query: str) -> list[ColumnElement[bool]]:
    """One condition per word: the word occurs in the name, email or area."""
    conditions = []
    for word in query.split():
        pattern = f"%{word.lower()}%"
        conditions.append(
            or_(
                func.lower(model.name).like(pattern),
                func.lower(func.coalesce(model.email, "")).like(pattern),
                func.lower(func.coalesce(model.area, "")).like(pattern),
            )
        )
    return conditions


def search_hosts(session: Session, query: str = "", limit: int = 200) -> Sequence[Host]:
    """Hosts whose name, email or area contain every word of ``query``, by name."""
    stmt = select(Host).where(*_matches_words(Host, query)).order_by(Host.name).limit(limit)
    return session.scalars(stmt).all()


def search_newcomers(session: Session, query: str = "", limit: int = 200) -> Sequence[Newcomer]:
    """Newcomers whose name, email or area contain every word of ``query``, oldest first."""
    stmt = (
        select(Newcomer)
        .where(*_matches_words(Newcomer, query))
        .order_by(Newcomer.registered_at, Newcomer.id)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def start_page_people(session: Session, actor: Actor) -> tuple[Sequence[Host], Sequence[Newcomer]]:
    """The hosts and newcomers listed on the coordinators' start page; logged as a list view."""
    require_coordinator(actor)
    record(session, actor, AuditAction.VIEW_LIST, "start")
    session.flush()
    return search_hosts(session), search_newcomers(session)


def find_newcomers(
    session: Session, actor: Actor, query: str, *, limit: int = 200
) -> Sequence[Newcomer]:
    """:func:`search_newcomers` for a coordinator; the search is logged (never its words)."""
    require_coordinator(actor)
    if not query.strip():
        return []
    record(session, actor, AuditAction.SEARCH, "newcomers")
    session.flush()
    return search_newcomers(session, query, limit=limit)
