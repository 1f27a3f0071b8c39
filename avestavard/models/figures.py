"""The anonymous event log the figures are computed from.

One row per thing that happened (a registration, an approval, a letter, a failed email …) or
per change of a state that the figures count at a date (how many hosts are active, how many
newcomers wait). A row says what and when, plus the few dimensions the figures break down by;
it never refers to a person, a match or a household, so erasure and retention leave it alone
and last year's figures stay what they were.

Rows are only ever added. A state at a date is the sum of its change rows up to that date
(``value`` is +1 / −1, or a number of places).

:class:`FigureMonth` holds the same log counted per month: one row per month and distinct
(kind, channel, stage, value, since) with the number of events. Database triggers keep it
exact (every insert into ``figure_events``, from the services, an import or a bulk load, adds
to it in the same transaction), so ten years of figures read a few thousand rows instead of
hundreds of thousands; only the days of a partly covered month are read from the log itself.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Index, Integer, SmallInteger, String
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


# In figure_months, a dimension an event does not have is stored as this (the columns are part
# of the primary key, so they cannot be NULL).
NO_CHANNEL = ""
NO_STAGE = 0
NO_SINCE = ""


class FigureMonth(Base):
    """How many events of one kind and dimensions a month holds (kept by triggers)."""

    __tablename__ = "figure_months"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    stage: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The waiting-since day as YYYY-MM-DD (NO_SINCE when the event has none).
    since: Mapped[str] = mapped_column(String(10), primary_key=True)
    events: Mapped[int]

    def __repr__(self) -> str:
        return f"<FigureMonth {self.kind} {self.month} ×{self.events}>"
