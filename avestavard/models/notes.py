"""Coordinators' notes on a host or a newcomer ("ringde i tisdags, föredrar helger").

A note is personal data: it belongs to one person (exactly one of ``host_id`` and
``newcomer_id``), is in that person's register extract and goes with them when they are erased
(the foreign keys cascade). Its author may change it for a day; after that it is append-only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class Note(Base):
    """One coordinator's free-text note about one person."""

    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint("(host_id IS NULL) <> (newcomer_id IS NULL)", name="one_person"),
        Index("ix_notes_host", "host_id"),
        Index("ix_notes_newcomer", "newcomer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    host_id: Mapped[int | None] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    # The author is kept as a label too, so the note still says who wrote it after the
    # account is gone.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_label: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Note {self.id}>"
