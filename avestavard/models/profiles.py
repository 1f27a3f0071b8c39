"""Pending confirmations of newcomer registrations (the signed link in the confirmation email)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class RegistrationConfirmation(Base):
    """One outstanding confirmation link for one newcomer.

    The emailed token carries ``nonce``; a newer registration replaces the row, so only the
    latest link works, and confirming deletes it, so a link works once. ``changes`` holds a
    repeated registration for an already confirmed newcomer: it is applied only when the owner
    of the email address confirms it, so nobody can rewrite someone else's profile by typing
    their address.
    """

    __tablename__ = "registration_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), unique=True
    )
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
