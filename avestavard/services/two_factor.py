"""Two-factor sign-in: a code from an authenticator app (TOTP, RFC 6238) after the password or
the emailed sign-in link, with single-use recovery codes for a lost phone.

Enrolment is two steps: :func:`start_enrolment` keeps a *pending* secret that the page shows as a
QR code, and :func:`confirm_enrolment` switches two-factor sign-in on once a first code from the
app matches it (so a mistyped secret never locks anyone out). A code is accepted once: the time
step of the last accepted code is stored per account, and only a later step is accepted after it
(one conditional UPDATE, so two requests with the same code at once accept it once). Recovery
codes are stored as salted hashes and spent with a conditional UPDATE as well.

Which roles must use it is configuration (``MFA_REQUIRED_ROLES``); see :func:`is_required`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

import pyotp
from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from avestavard.errors import ValidationFailed
from avestavard.models import AuditAction, Role, User
from avestavard.models.two_factor import RecoveryCode
from avestavard.services import audit
from avestavard.services.i18n import translate as _

ISSUER = "AvestaVärd"
DIGITS = 6
STEP_SECONDS = 30
# A code from the step before or after the server's is accepted too (a phone clock a little off).
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# 10 characters from 31 that cannot be mistaken for each other (no i, l, o, 0, 1): 49 random bits.
# A slow hash adds nothing against guessing a code this long, so the salted PBKDF2 is kept light
# enough to check all ten codes of an account at once.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_RECOVERY_HASH_METHOD = "pbkdf2:sha256:20000"

SecondFactor = Literal["app", "recovery-code"]


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret (for typing) and the otpauth:// address (QR)."""

    secret: str
    uri: str

    @property
    def secret_groups(self) -> list[str]:
        """The secret in groups of four, easier to type into an app by hand."""
        return [self.secret[i : i + 4] for i in range(0, len(self.secret), 4)]


@dataclass(frozen=True)
class CodeAccepted:
    """A second factor that was accepted, and how many recovery codes are still unused."""

    kind: SecondFactor
    recovery_codes_left: int


def parse_required_roles(values: Iterable[str]) -> frozenset[Role]:
    """The roles named in ``MFA_REQUIRED_ROLES`` (ValueError for a name that is not a role)."""
    return frozenset(Role(str(value).strip()) for value in values)


def is_required(user: User, required_roles: Iterable[str]) -> bool:
    """True when the account's role must sign in with two factors."""
    return user.role in parse_required_roles(required_roles)


def needs_second_step(user: User, required_roles: Iterable[str]) -> bool:
    """True when signing in takes a second step: a code, or enrolment the role requires."""
    return user.has_two_factor or is_required(user, required_roles)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def start_enrolment(session: Session, user: User, *, fresh: bool) -> Enrolment:
    """The pending secret to show; nothing is switched on yet.

    ``fresh`` starts over with a new secret (a new visit: a secret someone else may have seen
    in an abandoned enrolment is never reused); otherwise showing the page again keeps the same
    secret, so a QR code already scanned stays valid.
    """
    if fresh or not user.totp_pending_secret:
        user.totp_pending_secret = pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends
        session.flush()
    secret = user.totp_pending_secret
    uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code is ``code`` (within the window around ``now``), or None."""
    totp = _totp(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(session: Session, user: User, step: int) -> bool:
    """Record ``step`` as the last accepted one, if it is later than the last; True if it was."""
    result = session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], result).rowcount:
        return False
    session.refresh(user, ["totp_last_step"])
    return True


def _app_code(raw: str) -> str | None:
    """Six digits, with any spaces removed; None if the text is not that shape."""
    code = "".join(raw.split())
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def _recovery_code(raw: str) -> str:
    return "".join(ch for ch in raw.lower() if ch.isalnum())


def wrong_code() -> ValidationFailed:
    """The error for a code that is not accepted (on the ``code`` field)."""
    message = _("Koden stämmer inte. Skriv den kod som appen visar just nu.")
    return ValidationFailed(message, {"code": message})


def confirm_enrolment(session: Session, user: User, code: str, *, now: datetime) -> list[str]:
    """Switch two-factor sign-in on once ``code`` matches the pending secret.

    Returns the new recovery codes in plain text (shown once; only their hashes are kept).
    Any earlier secret and recovery codes stop working, and so do the account's other sessions.
    """
    pending = user.totp_pending_secret
    app_code = _app_code(code)
    if not pending or app_code is None:
        raise wrong_code()
    step = _matching_step(pending, app_code, now)
    if step is None:
        raise wrong_code()
    user.totp_secret = pending
    user.totp_pending_secret = None
    user.totp_enabled_at = now
    user.totp_last_step = step
    user.end_sessions()
    codes = _replace_recovery_codes(session, user, now=now)
    audit.record(session, user, AuditAction.TWO_FACTOR_ON, "user", user.id)
    session.flush()
    return codes


def _new_recovery_code() -> str:
    letters = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{letters[:5]}-{letters[5:]}"


def _replace_recovery_codes(session: Session, user: User, *, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(
            RecoveryCode(
                user_id=user.id,
                code_hash=generate_password_hash(
                    _recovery_code(code), method=_RECOVERY_HASH_METHOD
                ),
                created_at=now,
            )
        )
    session.flush()
    return codes


def new_recovery_codes(session: Session, user: User, *, now: datetime) -> list[str]:
    """Replace the account's recovery codes with ten new ones (the old ones stop working)."""
    if not user.has_two_factor:
        raise ValidationFailed(_("Tvåstegsinloggning är inte påslagen."))
    codes = _replace_recovery_codes(session, user, now=now)
    audit.record(session, user, AuditAction.RECOVERY_CODES_NEW, "user", user.id)
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of the account's recovery codes are still unused."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _spend_recovery_code(session: Session, user: User, raw: str, *, now: datetime) -> bool:
    code = _recovery_code(raw)
    if len(code) != _RECOVERY_LENGTH:
        return False
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in unused:
        if check_password_hash(row.code_hash, code):
            spent = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(cast(CursorResult[Any], spent).rowcount)
    return False


def verify_second_factor(session: Session, user: User, code: str, *, now: datetime) -> CodeAccepted:
    """Accept a code from the app (never one already used) or an unused recovery code.

    Raises ValidationFailed (error on ``code``) for anything else.
    """
    secret = user.totp_secret
    if secret is None:
        raise wrong_code()
    app_code = _app_code(code)
    if app_code is not None:
        step = _matching_step(secret, app_code, now)
        if step is None or not _claim_step(session, user, step):
            raise wrong_code()
        return CodeAccepted("app", recovery_codes_left(session, user))
    if not _spend_recovery_code(session, user, code, now=now):
        raise wrong_code()
    audit.record(session, user, AuditAction.RECOVERY_CODE_USED, "user", user.id)
    return CodeAccepted("recovery-code", recovery_codes_left(session, user))


def check_password_again(user: User, password: str) -> None:
    """Re-authentication before a change to the second factor: ValidationFailed if wrong."""
    if not password or not user.check_password(password):
        message = _("Lösenordet stämmer inte.")
        raise ValidationFailed(message, {"password": message})


def turn_off(session: Session, user: User, password: str, required_roles: Iterable[str]) -> None:
    """Switch two-factor sign-in off (password first); not for a role that requires it."""
    check_password_again(user, password)
    if is_required(user, required_roles):
        message = _("Din roll kräver tvåstegsinloggning. Du kan byta app, men inte stänga av.")
        raise ValidationFailed(message, {"password": message})
    _clear(session, user, actor=user)


def reset(session: Session, user: User, actor: audit.Actor) -> None:
    """Remove the account's second factor on the server (lost phone and recovery codes).

    Every session ends; an account whose role requires two factors enrols again right after
    its next password.
    """
    _clear(session, user, actor=actor)


def _clear(session: Session, user: User, *, actor: audit.Actor) -> None:
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.end_sessions()
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session, actor, AuditAction.TWO_FACTOR_OFF, "user", user.id)
    session.flush()
