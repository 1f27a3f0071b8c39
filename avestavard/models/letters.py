"""Welcome letters: moved-in households, their residents, the letters sent and the print batches.

What is kept of the population register is only what the letters need: names, birth dates and
the address. The personal identity number is never stored; ``Resident.person_key`` is a keyed
hash (HMAC) of it, so the same person is recognised when an overlapping extract is imported.

Uniqueness that protects people from duplicate letters lives in the database: one letter per
household and stage, one household per address and move-in date.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from avestavard.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from avestavard.models.people import Newcomer
    from avestavard.models.users import User


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class LetterChannel(enum.StrEnum):
    """How a letter reaches the household."""

    EMAIL = "email"
    PRINT = "print"


class LetterHousehold(Base):
    """People who moved to the same address on the same day: one letter per stage goes here."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC of the normalised address and the move-in date: the same household on re-import.
    household_key: Mapped[str] = mapped_column(String(64), unique=True)
    street: Mapped[str] = mapped_column(String(200))
    postcode: Mapped[str] = mapped_column(String(8))
    town: Mapped[str] = mapped_column(String(80))
    care_of: Mapped[str | None] = mapped_column(String(200))
    moved_in: Mapped[date] = mapped_column(index=True)
    # A registered newcomer who lives here: their email, consent and language decide the letter.
    newcomer_id: Mapped[int | None] = mapped_column(
        ForeignKey("newcomers.id", ondelete="SET NULL"), unique=True
    )
    is_linked_by_hand: Mapped[bool] = mapped_column(default=False)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by the one-click unsubscribe link: no further letters of any kind.
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    residents: Mapped[list[Resident]] = relationship(
        back_populates="household",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Resident.id",
    )
    letters: Mapped[list[Letter]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="Letter.stage"
    )
    newcomer: Mapped[Newcomer | None] = relationship()

    def __repr__(self) -> str:
        return f"<LetterHousehold {self.id}>"


class Resident(Base):
    """One person of a household, as the register gave them, without the identity number."""

    __tablename__ = "residents"
    __table_args__ = (UniqueConstraint("household_id", "person_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(String(64), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    household: Mapped[LetterHousehold] = relationship(back_populates="residents")

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Resident {self.id}>"


class LetterBatch(Base):
    """One print run: one PDF (a page per letter) and one CSV address list, kept byte for byte.

    The batch is created (and its letters claimed) before the PDF is rendered; ``completed_at``
    is set when the files are stored. A run that died in between is finished by the next run.
    """

    __tablename__ = "letter_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[date] = mapped_column(index=True)
    letter_count: Mapped[int] = mapped_column(default=0)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    csv: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    csv_sha256: Mapped[str | None] = mapped_column(String(64))
    page_count: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    letters: Mapped[list[Letter]] = relationship(back_populates="batch", order_by="Letter.id")

    @property
    def is_complete(self) -> bool:
        """Whether the PDF and CSV are stored."""
        return self.completed_at is not None

    def __repr__(self) -> str:
        return f"<LetterBatch {self.id} {self.run_date}>"


class Letter(Base):
    """One stage's letter to one household; the database allows only one per household and stage."""

    __tablename__ = "letters"
    __table_args__ = (
        UniqueConstraint("household_id", "stage"),
        Index("ix_letters_unbatched", "channel", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    stage: Mapped[int]
    age_group: Mapped[str] = mapped_column(String(16))
    # The household's registered language; None: Swedish with a short line in other languages.
    language: Mapped[str | None] = mapped_column(String(8))
    channel: Mapped[LetterChannel] = mapped_column(_enum(LetterChannel, "letter_channel"))
    run_date: Mapped[date] = mapped_column(index=True)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter_batches.id", ondelete="SET NULL")
    )
    # The queued email (no foreign key: the outbox prunes its own rows on its own schedule).
    outbox_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    household: Mapped[LetterHousehold] = relationship(back_populates="letters")
    batch: Mapped[LetterBatch | None] = relationship(back_populates="letters")

    def __repr__(self) -> str:
        return f"<Letter {self.id} household={self.household_id} stage={self.stage}>"


class LetterTextOverride(Base):
    """A coordinator's version of one letter text (stage × age group × language).

    Without a row the text from ``config/letters.toml`` is used.
    """

    __tablename__ = "letter_texts"
    __table_args__ = (UniqueConstraint("stage", "age_group", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[int]
    age_group: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()
