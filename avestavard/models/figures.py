"""The anonymous event log the figures are computed from.

One row per thing that happened (a registration, an approval, a letter, a failed email …) or
per change of a state that the figures count at a date (how many hosts are active, how many
newcomers wait). A row says what and when, plus the few dimensions the figures break down by;
it never refers to a person, a match or a household, so erasure and retention leave it alone
and last year's figures stay what they were.

Rows are only ever added. A state at a date is the sum of its change rows up to that date
(``value`` is +1 / −1, or a number of places).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class FigureKind(enum.StrEnum):
    """What an event row records."""

    # things that happened (counted in a period)
    REGISTERED = "registered"  # a newcomer registered
    CONFIRMED = "confirmed"  # a registration was confirmed (email or coordinator's call)
    WAIT_ENDED = "wait_ended"  # a newcomer stopped waiting; value: days waited, channel: why
    HOST_ADDED = "host_added"  # a new AvestaVärd
    INTERVIEW = "interview"  # a host interview was held
    APPROVED = "approved"  # a match was made; channel: matcher, coordinator or import
    APPROVAL_UNDONE = "approval_undone"  # an approval undone within its hold (on its day)
    ACCEPTED = "accepted"  # the host said yes; value: days to answer
    DECLINED = "declined"  # the host said no; value: days to answer
    INTRODUCED = "introduced"
    MET = "met"  # the first meeting
    ENDED = "ended"
    RATING = "rating"  # a follow-up answer; value: fit 1–5, channel: host or newcomer
    LETTER = "letter"  # a welcome letter; stage and channel (email, print)
    UNSUBSCRIBED = "unsubscribed"  # a household asked for no more letters
    MAIL_FAILED = "mail_failed"  # an email the server refused for good
    # changes of states counted at a date (value: the change)
    NEWCOMERS = "newcomers"  # channel: newcomer status; since: waiting since (waiting only)
    HOSTS = "hosts"  # channel: host status
    FREE_PLACES = "free_places"  # places active hosts have left
    MATCHES = "matches"  # channel: match state


class FigureEvent(Base):
    """One anonymous event: what, on which day (Europe/Stockholm) and a few dimensions."""

    __tablename__ = "figure_events"
    __table_args__ = (
        Index("ix_figure_events_kind_on", "kind", "occurred_on"),
        Index("ix_figure_events_kind_month", "kind", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date]
    # "YYYY-MM" of occurred_on: months group the same way on every database.
    month: Mapped[str] = mapped_column(String(7))
    stage: Mapped[int | None] = mapped_column(SmallInteger)
    channel: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[int] = mapped_column(default=1)
    since: Mapped[date | None]
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<FigureEvent {self.kind} {self.occurred_on}>"
