"""Hosts (AvestaVärdar), newcomers (nyinflyttade) and their interests.

Profile fields follow the municipality's interview guide: past (dåtid), present (nutid),
future (framtid), interests and thoughts on the assignment. Languages are ISO 639-1 codes.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Enum, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from avestavard.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from avestavard.models.users import User


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(
        cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class HouseholdType(enum.StrEnum):
    """Who the person lives with."""

    SINGLE = "single"
    COUPLE = "couple"
    FAMILY = "family"  # with children


class HostStatus(enum.StrEnum):
    """Whether a host takes newcomers."""

    ACTIVE = "active"
    PAUSED = "paused"
    DECLINED = "declined"


class NewcomerStatus(enum.StrEnum):
    """Where a newcomer is in the programme."""

    UNCONFIRMED = "unconfirmed"  # registered, email not yet confirmed / not yet called
    WAITING = "waiting"  # confirmed, waiting for a host
    MATCHED = "matched"  # has an active match
    PAUSED = "paused"  # confirmed, but asked us not to look for a host for now
    CLOSED = "closed"  # left the programme


class Interest(Base):
    """A canonical leisure interest from the matcher's taxonomy (e.g. ``fiske``)."""

    __tablename__ = "interests"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    label_sv: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))


class HostInterest(Base):
    """Link from a host to a canonical interest, with the words the host used."""

    __tablename__ = "host_interests"

    host_id: Mapped[int] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True
    )
    interest_id: Mapped[int] = mapped_column(
        ForeignKey("interests.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[str] = mapped_column(String(200), default="")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    interest: Mapped[Interest] = relationship(lazy="joined")


class NewcomerInterest(Base):
    """Link from a newcomer to a canonical interest, with the words the newcomer used."""

    __tablename__ = "newcomer_interests"

    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), primary_key=True
    )
    interest_id: Mapped[int] = mapped_column(
        ForeignKey("interests.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[str] = mapped_column(String(200), default="")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    interest: Mapped[Interest] = relationship(lazy="joined")


class Host(Base):
    """An AvestaVärd: a local volunteer, interviewed by a coordinator."""

    __tablename__ = "hosts"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    birth_year: Mapped[int | None]
    area: Mapped[str | None] = mapped_column(String(80), index=True)
    household: Mapped[HouseholdType | None] = mapped_column(_enum(HouseholdType, "household"))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    preferred_language: Mapped[str] = mapped_column(String(8), default="sv")
    interests_raw: Mapped[list[str]] = mapped_column(JSON, default=list)
    past: Mapped[str] = mapped_column(Text, default="")
    present: Mapped[str] = mapped_column(Text, default="")
    future: Mapped[str] = mapped_column(Text, default="")
    thoughts: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(default=1)
    status: Mapped[HostStatus] = mapped_column(
        _enum(HostStatus, "host_status"), default=HostStatus.ACTIVE
    )
    paused_until: Mapped[date | None]
    interviewer: Mapped[str | None] = mapped_column(String(200))
    interviewed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()
    interests: Mapped[list[HostInterest]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def first_name(self) -> str:
        """The name a newcomer is introduced to."""
        return self.name.split()[0] if self.name else ""

    def __repr__(self) -> str:
        return f"<Host {self.id}>"


class Newcomer(Base):
    """A person or household who moved to the municipality and asked for a host."""

    __tablename__ = "newcomers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    moved_in: Mapped[date | None]
    area: Mapped[str | None] = mapped_column(String(80), index=True)
    street_address: Mapped[str | None] = mapped_column(String(200))
    household: Mapped[HouseholdType | None] = mapped_column(_enum(HouseholdType, "household"))
    birth_year: Mapped[int | None]
    preferred_language: Mapped[str] = mapped_column(String(8), default="sv")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests_raw: Mapped[list[str]] = mapped_column(JSON, default=list)
    past: Mapped[str] = mapped_column(Text, default="")
    present: Mapped[str] = mapped_column(Text, default="")
    future: Mapped[str] = mapped_column(Text, default="")
    wishes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[NewcomerStatus] = mapped_column(
        _enum(NewcomerStatus, "newcomer_status"), default=NewcomerStatus.UNCONFIRMED
    )
    letters_by_email: Mapped[bool] = mapped_column(default=False)
    privacy_notice_version: Mapped[str | None] = mapped_column(String(40))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the newcomer last changed their own answers on "Min anmälan" (coordinators see it
    # beside a proposal or match made before the change).
    self_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    interests: Mapped[list[NewcomerInterest]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def first_name(self) -> str:
        """The name a host is told."""
        return self.name.split()[0] if self.name else ""

    @property
    def waiting_since(self) -> datetime:
        """When the newcomer started waiting for a host (ties go to who waited longest)."""
        return self.confirmed_at or self.registered_at

    def __repr__(self) -> str:
        return f"<Newcomer {self.id}>"
