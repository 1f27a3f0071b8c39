"""Declarative base with a constraint naming convention so Alembic migrations are stable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default for every ``*_at`` column)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def conflict_insert(session: Session, model: type[Base]) -> PostgresInsert | SqliteInsert:
    """An INSERT into ``model``'s table for the session's database, which says what to do on
    a conflict with a unique key (``on_conflict_do_nothing`` / ``on_conflict_do_update``):
    one statement, where catching an integrity error would break the transaction."""
    dialect = session.get_bind().dialect.name
    return (postgres_insert if dialect == "postgresql" else sqlite_insert)(model)


@event.listens_for(Base.metadata, "before_create")
def _never_reuse_ids(metadata: MetaData, connection: Any, **_kw: Any) -> None:
    """On SQLite, ``AUTOINCREMENT`` on every table: an id is never handed out twice, so an
    erased person's id (in the audit log, in old links) never names someone new."""
    for table in metadata.tables.values():
        table.dialect_options["sqlite"]["autoincrement"] = True
