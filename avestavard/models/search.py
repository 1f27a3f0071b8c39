"""Folded search keys: the words a host, newcomer or household is found by.

One row per word: names, email, phone digits (E.164 without "+"), area words and interests as
taxonomy ids, each case-folded with diacritics removed ("Öberg" -> "oberg"), so search finds the
same people on SQLite and PostgreSQL whatever the database's own ``lower()`` does. ``prefix``
(the first three characters) is what candidate queries look up by equality.
"""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base


class SearchToken(Base):
    """One folded word of one person or household (``kind`` is host, newcomer or household)."""

    __tablename__ = "search_tokens"
    __table_args__ = (
        Index("ix_search_tokens_prefix", "prefix", "kind"),
        Index("ix_search_tokens_token", "token"),
        Index("ix_search_tokens_ref", "kind", "ref_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int]
    token: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(3))
