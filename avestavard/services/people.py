"""Finding hosts and newcomers for the coordinators' lists."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from avestavard.models import Host, Newcomer


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
