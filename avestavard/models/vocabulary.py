"""Words coordinators taught the matcher: read as an interest wherever people write them.

The taxonomy ships with the package; a municipality's own words (a local club's name, a
place) are kept here (:mod:`avestavard.services.vocabulary`). ``interest_id`` is empty for a
word taught as no pastime, which is then never guessed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class TaughtWord(Base):
    """One word as a coordinator typed it, and the interest it means.

    ``cleaned`` (lower case, single spaces, no punctuation) is what is unique: "Krylbo IF"
    and "krylbo if" are one word.
    """

    __tablename__ = "taught_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(80))
    cleaned: Mapped[str] = mapped_column(String(80), unique=True)
    interest_id: Mapped[str] = mapped_column(String(64))
    taught_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    taught_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<TaughtWord {self.word!r} {self.interest_id}>"
