"""Pending confirmations of newcomer registrations (the signed link in the confirmation email)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class RegistrationConfirmation(Base):
    """One outstanding confirmation link for one newcomer.

    The emailed token carries ``nonce``; confirming deletes the row, so a link works once.
    A newcomer has at most two: the link of the first registration (``is_change`` false) and
    the link of a repeated registration with the same address (``is_change`` true), whose
    answers wait in ``changes``. They are applied only when the owner of the email address
    confirms that link, so nobody can rewrite someone else's registration, confirmed or not,
    by typing their address, and the owner's own link keeps working. A newer repeated
    registration replaces the staged one; the nightly retention deletes a row (and its
    answers) when its link has expired.
    """

    __tablename__ = "registration_confirmations"
    __table_args__ = (UniqueConstraint("newcomer_id", "is_change"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    is_change: Mapped[bool] = mapped_column(default=False)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
