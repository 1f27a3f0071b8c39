"""Accounts: creating users and checking passwords."""

from __future__ import annotations

from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, ValidationFailed
from avestavard.models import Role, User

MIN_PASSWORD_LENGTH = 10
# A real hash to compare against when the user is unknown, so both cases take the same time.
_DUMMY_HASH = (
    "scrypt:32768:8:1$ZYbLMgmtZk7cCQcl$b0d4c0a7a1a3c0d2e3d5b1f6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4"
    "a5f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f8"
)


def normalize_login_email(email: str) -> str:
    """Trim and lower-case an email used as a login name."""
    return email.strip().lower()


def create_user(
    session: Session, *, email: str, password: str, role: Role | str, name: str = ""
) -> User:
    """Create an account; raises ValidationFailed or Conflict with a message for a person."""
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed(str(exc), {"email": str(exc)}) from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"Lösenordet måste ha minst {MIN_PASSWORD_LENGTH} tecken."
        raise ValidationFailed(message, {"password": message})
    try:
        role = Role(role)
    except ValueError as exc:
        raise ValidationFailed(f"Okänd roll: {role}", {"role": "okänd roll"}) from exc
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise Conflict(f"Det finns redan ett konto för {email}.")
    user = User(email=email, role=role, name=name)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with this email and password, or None.

    Unknown users and wrong passwords cost the same (a hash is always checked), so the answer
    and its timing do not reveal which accounts exist.
    """
    user = session.scalar(select(User).where(User.email == normalize_login_email(email)))
    if user is None:
        User(email="", password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user
