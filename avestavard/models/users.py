"""Accounts that can log in: administrators, coordinators (samordnare) and hosts."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Enum, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from avestavard.models.base import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What an account may do."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    HOST = "host"


class User(UserMixin, Base):
    """A person who logs in. Hosts are linked from :class:`avestavard.models.people.Host`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    preferred_language: Mapped[str] = mapped_column(String(8), default="sv")
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Stored in the session at log-in and compared on every request: raising it ends every
    # session of the account (log-out, a new password, switching the account off).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Two-factor sign-in (TOTP, RFC 6238). ``totp_secret`` is set once the first code confirmed
    # the enrolment; ``totp_pending_secret`` is the one shown as a QR code until then.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The time step of the last code accepted: a code is never accepted twice, nor an older one.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger())

    # Flask-Login reads ``is_active``; the column has its own name so the mixin's property
    # does not shadow it.
    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def set_password(self, password: str) -> None:
        """Store a scrypt hash of ``password`` (werkzeug's default method)."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.end_sessions()

    def end_sessions(self) -> None:
        """Make every session of this account (on any device, copied or not) stop working."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def has_two_factor(self) -> bool:
        """True when sign-in asks for a code from the authenticator app after the first step."""
        return self.totp_secret is not None

    @property
    def is_coordinator(self) -> bool:
        """Coordinators and administrators run the programme."""
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
