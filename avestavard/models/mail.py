"""The mail outbox: every email is a row written in the transaction that causes it.

Life of a row (see :mod:`avestavard.services.mail_sender`)::

    queued ──claim──▶ sending ──250──▶ sent
                        │  ├──4xx / dropped before the data──▶ retry ──(due)──▶ sending …
                        │  ├──5xx, or too many attempts──────▶ failed   (coordinators decide)
                        │  └──no reply after the data────────▶ unknown  (coordinators decide)
                        └──sender died: handed over? unknown : retry
    queued (held) ──undo──▶ cancelled

``held_until``: a message is not due before this time, whatever ``next_attempt_at`` says. It
is the coordinator's window to undo what caused it; during it the row can be cancelled, and a
cancelled row is never claimed. The hold is stored on the row, so it survives a restart.

``handed_over_at`` is the sender's mark, committed just before it gives the message to the
server: after a crash it separates the rows that may have been delivered from those that
certainly were not.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from avestavard.models.base import Base, UTCDateTime, utcnow


class OutboxStatus(enum.StrEnum):
    """Delivery state of one message."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    RETRY = "retry"  # temporary failure, next_attempt_at says when
    FAILED = "failed"  # permanent failure, shown to coordinators
    UNKNOWN = "unknown"  # the server may or may not have accepted it: never resent on its own
    CANCELLED = "cancelled"  # withdrawn before it was sent (an undone approval): never sent


# Statuses a sender may claim when next_attempt_at has come.
DUE_STATUSES = (OutboxStatus.QUEUED, OutboxStatus.RETRY)


class OutboxMessage(Base):
    """An email waiting to be sent, being sent, or sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(
            OutboxStatus,
            name="outbox_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=OutboxStatus.QUEUED,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A fresh token per claim: a sender only touches rows that still carry its token, so a
    # row taken back from a sender that looked dead is never sent by both.
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    # Set (and committed) just before the message is given to the SMTP server.
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    # How many times a coordinator deliberately sent it again (same Message-ID each time).
    resend_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attempt_log: Mapped[list[OutboxAttempt]] = relationship(
        back_populates="message",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OutboxAttempt.id",
    )

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status.value}>"


class OutboxAttempt(Base):
    """One delivery attempt that did not end in "sent": the server's reply, as it was given.

    A successful delivery is the message's own ``sent_at``; these rows are the history a
    coordinator reads to see why a message is late or failed.
    """

    __tablename__ = "outbox_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))  # retry, failed, unknown
    reply_code: Mapped[int | None]
    enhanced_status: Mapped[str | None] = mapped_column(String(16))  # RFC 3463, e.g. 5.1.1
    text: Mapped[str] = mapped_column(String(500))

    message: Mapped[OutboxMessage] = relationship(back_populates="attempt_log")
