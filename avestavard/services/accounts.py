"""Accounts for administrators, coordinators and hosts: creating them, switching them off and
on, and setting passwords.

Administrators manage every account. Coordinators may do one thing here: give a host profile a
login (:func:`create_host_login`), since they are the ones who interview and call the hosts.

Nobody ever types, sees or emails another person's password. A new account, and an account
whose owner forgot the password, gets a *set-password link* instead: signed, valid for a
limited time (``PASSWORD_LINK_HOURS``), and single-use. The link carries a fingerprint of the
account's password hash and last log-in, so it stops working as soon as a password is set with
it (the hash changes) or the owner logs in with the old password; a switched-off account's
links do not work either. The administrator (or coordinator) sees the link once, to pass on,
and the same link is queued by email to the account's address.

Every change, and the list of accounts, is written to the audit log (subject ``user``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from avestavard.models import AuditAction, Host, OutboxMessage, Role, User
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.authorization import require_coordinator
from avestavard.services.i18n import translate as _
from avestavard.services.link_settings import LinkSettings
from avestavard.services.mail import queue_templated_mail, redact_token_in_mail
from avestavard.services.users import MIN_PASSWORD_LENGTH, create_user

MAX_PASSWORD_LENGTH = 200
PASSWORD_LINK_SALT = "avestavard.password-link"  # noqa: S105  (a namespace, not a secret)
AUDIT_SUBJECT = "user"
# Languages the account emails are written in (the staff interface languages).
MAIL_LANGUAGES = ("sv", "en")

LinkPurpose = Literal["invite", "reset"]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class AccountSettings(LinkSettings):
    """What the set-password links need from the configuration."""

    link_max_age: timedelta = timedelta(hours=72)
    municipality: str = "Avesta kommun"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AccountSettings:
        """Read the settings from a Flask config (``PASSWORD_LINK_HOURS`` defaults to 72)."""
        return cls(
            **cls.site_values(config),
            link_max_age=timedelta(hours=int(config.get("PASSWORD_LINK_HOURS", 72))),
            municipality=str(config.get("MUNICIPALITY_NAME", "Avesta kommun")),
        )

    def serializer(self) -> URLSafeTimedSerializer:
        """The signer of set-password links."""
        return URLSafeTimedSerializer(self.secret_key, salt=PASSWORD_LINK_SALT)

    def password_url(self, token: str) -> str:
        """The absolute link to the set-password page."""
        return f"{self.public_base_url}/password/{token}"

    def fingerprint(self, user: User) -> str:
        """A keyed digest of what a password change or a log-in changes: a link made before
        either stops working. Keyed, because the token's payload is readable by its holder."""
        last_login = user.last_login_at.isoformat() if user.last_login_at else "-"
        material = f"{user.id}|{user.password_hash}|{last_login}".encode()
        return hmac.new(self.secret_key.encode(), material, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class PasswordLink:
    """A set-password link made for an account, and the email that carries it."""

    user: User
    url: str
    expires_at: datetime
    mail: OutboxMessage


# --------------------------------------------------------------------------- helpers


def _require_admin(actor: Actor) -> None:
    if getattr(actor, "role", None) != Role.ADMIN:
        raise PermissionDenied(_("Bara administratörer får hantera konton."))


def _user(session: Session, user_id: int, *, lock: bool = False) -> User:
    user = session.get(User, user_id, with_for_update=lock)
    if user is None:
        raise NotFound(_("Kontot finns inte."))
    return user


def _check_new_password(password: str, repeated: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        message = _("Lösenordet måste ha minst %(min)d tecken.", min=MIN_PASSWORD_LENGTH)
        raise ValidationFailed(message, {"password": message})
    if len(password) > MAX_PASSWORD_LENGTH:
        message = _("Lösenordet får ha högst %(max)d tecken.", max=MAX_PASSWORD_LENGTH)
        raise ValidationFailed(message, {"password": message})
    if repeated is not None and password != repeated:
        message = _("Lösenorden är inte likadana. Skriv samma lösenord två gånger.")
        raise ValidationFailed(message, {"password_again": message})


def _mail_language(user: User) -> str:
    return user.preferred_language if user.preferred_language in MAIL_LANGUAGES else "sv"


def _make_link(
    session: Session,
    user: User,
    purpose: LinkPurpose,
    *,
    now: datetime,
    settings: AccountSettings,
) -> PasswordLink:
    """Sign a link for ``user`` and queue it by email (one email per link)."""
    session.flush()  # the fingerprint needs the id and the stored hash
    token = settings.serializer().dumps({"u": user.id, "f": settings.fingerprint(user)})
    url = settings.password_url(token)
    expires_at = now + settings.link_max_age
    language = _mail_language(user)
    context = {
        "user": user,
        "url": url,
        "purpose": purpose,
        "valid_hours": int(settings.link_max_age.total_seconds() // 3600),
        "municipality": settings.municipality,
        "language": language,
    }
    subject = (
        _l("Ditt konto i AvestaVärd")
        if purpose == "invite"
        else _l("Välj ett nytt lösenord i AvestaVärd")
    )
    # One email per link: a retried request that signs the same token queues nothing new.
    key = f"password-link:{user.id}:{hashlib.sha256(token.encode()).hexdigest()[:32]}"
    mail = queue_templated_mail(
        session,
        key=key,
        to=user.email,
        template="admin/email/password_link",
        subject=subject,
        language=language,
        context=context,
    )
    return PasswordLink(user=user, url=url, expires_at=expires_at, mail=mail)


# --------------------------------------------------------------------------- administrators


def list_users(session: Session, actor: Actor) -> Sequence[User]:
    """Every account, active ones first, then by email; the view is audit-logged."""
    _require_admin(actor)
    users = session.scalars(select(User).order_by(User.is_active_account.desc(), User.email)).all()
    audit.record(session, actor, AuditAction.VIEW_LIST, AUDIT_SUBJECT, None)
    return users


def _new_account(
    session: Session, *, email: str, role: Role | str, name: str, language: str = "sv"
) -> User:
    """An account with a random password nobody knows: it cannot be used until its owner
    chooses a password through a link. Errors are put on the form's fields."""
    try:
        user = create_user(
            session,
            email=email,
            password=secrets.token_urlsafe(32),
            role=role,
            name=name,
        )
    except ValidationFailed as exc:
        field = "email" if "email" in exc.errors else "role"
        message = (
            _("Skriv en giltig e-postadress, till exempel namn@avesta.se.")
            if field == "email"
            else _("Välj en roll.")
        )
        raise ValidationFailed(message, {field: message}) from exc
    except Conflict as exc:
        message = _("Det finns redan ett konto med den e-postadressen.")
        raise ValidationFailed(message, {"email": message}) from exc
    user.preferred_language = language if language in MAIL_LANGUAGES else "sv"
    return user


def create_account(
    session: Session,
    actor: Actor,
    *,
    email: str,
    role: Role | str,
    name: str,
    now: datetime,
    settings: AccountSettings,
) -> PasswordLink:
    """Create an account and return its set-password link (also queued by email).

    The account gets a random password nobody knows, so it cannot be used until its owner
    chooses a password through the link.
    """
    _require_admin(actor)
    name = name.strip()[:200]
    if not name:
        message = _("Fyll i namnet.")
        raise ValidationFailed(message, {"name": message})
    user = _new_account(session, email=email, role=role, name=name)
    audit.record(session, actor, AuditAction.ACCOUNT_CREATE, AUDIT_SUBJECT, user.id)
    return _make_link(session, user, "invite", now=now, settings=settings)


def create_host_login(
    session: Session,
    actor: Actor,
    host: Host,
    *,
    email: str | None,
    now: datetime,
    settings: AccountSettings,
) -> PasswordLink:
    """Give a host profile a login (role host) and return its set-password link.

    Coordinators may do this as well as administrators. The link is queued by email to the
    login address in the host's language (Swedish or English), and returned so the
    coordinator can read it out on the phone. ``email`` defaults to the host's own address.
    The caller loads ``host`` locked, so two coordinators cannot give one host two logins.
    """
    require_coordinator(actor)
    if host.user_id is not None:
        raise Conflict(_("Värden har redan ett konto."))
    user = _new_account(
        session,
        email=(email or host.email or "").strip(),
        role=Role.HOST,
        name=host.name,
        language=host.preferred_language,
    )
    host.user_id = user.id
    session.flush()
    audit.record(session, actor, AuditAction.ACCOUNT_CREATE, AUDIT_SUBJECT, user.id)
    return _make_link(session, user, "invite", now=now, settings=settings)


def create_password_reset(
    session: Session, actor: Actor, user_id: int, *, now: datetime, settings: AccountSettings
) -> PasswordLink:
    """A new set-password link for an account whose owner forgot the password.

    The old password keeps working until a new one is chosen.
    """
    _require_admin(actor)
    user = _user(session, user_id)
    if not user.is_active:
        raise Conflict(_("Kontot är avstängt. Aktivera det först."))
    audit.record(session, actor, AuditAction.PASSWORD_RESET_LINK, AUDIT_SUBJECT, user.id)
    return _make_link(session, user, "reset", now=now, settings=settings)


def _active_admin_ids(session: Session, *, lock: bool = False) -> Sequence[int]:
    stmt = (
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active_account.is_(True))
        .order_by(User.id)
    )
    return session.scalars(stmt.with_for_update() if lock else stmt).all()


def deactivate_account(session: Session, actor: Actor, user_id: int) -> User:
    """Switch an account off: its owner is logged out and cannot log in.

    Administrators cannot switch themselves off, and the last active administrator stays, so
    someone can always manage the accounts. On Conflict the caller rolls back (the view's
    error handling does).
    """
    _require_admin(actor)
    if user_id == actor.id:
        raise Conflict(_("Du kan inte stänga av ditt eget konto."))
    # Two administrators switching each other off at the same moment must not both succeed.
    # PostgreSQL: lock the active administrators (in id order, so no deadlock); the second
    # transaction waits and then sees the first one's change. SQLite: the UPDATE below takes
    # the database's write lock, so the count after it sees every committed change.
    _active_admin_ids(session, lock=True)
    user = _user(session, user_id, lock=True)
    if not user.is_active_account:
        raise Conflict(_("Kontot är redan avstängt."))
    user.is_active_account = False
    user.end_sessions()
    session.flush()
    if user.role == Role.ADMIN and not _active_admin_ids(session):
        raise Conflict(_("Det måste finnas minst en aktiv administratör."))
    audit.record(session, actor, AuditAction.ACCOUNT_DEACTIVATE, AUDIT_SUBJECT, user.id)
    return user


def reactivate_account(session: Session, actor: Actor, user_id: int) -> User:
    """Switch an account on again (its password is the one it had)."""
    _require_admin(actor)
    user = _user(session, user_id, lock=True)
    if user.is_active_account:
        raise Conflict(_("Kontot är redan aktivt."))
    user.is_active_account = True
    user.end_sessions()
    session.flush()
    audit.record(session, actor, AuditAction.ACCOUNT_REACTIVATE, AUDIT_SUBJECT, user.id)
    return user


# --------------------------------------------------------------------------- the owner


def _invalid_link() -> ValidationFailed:
    return ValidationFailed(
        _(
            "Länken fungerar inte. Den kan redan ha använts, vara för gammal eller gälla ett "
            "konto som är avstängt. Be en administratör om en ny länk."
        )
    )


def _read_link(token: str, *, now: datetime, settings: AccountSettings) -> tuple[int, str]:
    """The account id and fingerprint a genuine, fresh link carries."""
    try:
        payload, signed_at = settings.serializer().loads(token, return_timestamp=True)
    except BadSignature as exc:
        raise _invalid_link() from exc
    if not isinstance(payload, dict):
        raise _invalid_link()
    user_id, fingerprint = payload.get("u"), payload.get("f")
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        raise _invalid_link()
    if now - signed_at.astimezone(UTC) > settings.link_max_age:
        raise _invalid_link()
    return user_id, fingerprint


def _linked_user(
    session: Session, token: str, *, now: datetime, settings: AccountSettings, lock: bool
) -> User:
    user_id, fingerprint = _read_link(token, now=now, settings=settings)
    user = session.get(User, user_id, with_for_update=lock)
    if (
        user is None
        or not user.is_active
        or not hmac.compare_digest(fingerprint, settings.fingerprint(user))
    ):
        raise _invalid_link()
    return user


def check_password_link(
    session: Session, token: str, *, now: datetime, settings: AccountSettings
) -> User:
    """The account a set-password link is for; ValidationFailed if forged, used or too old."""
    return _linked_user(session, token, now=now, settings=settings, lock=False)


def set_password_with_link(
    session: Session,
    token: str,
    password: str,
    password_again: str,
    *,
    now: datetime,
    settings: AccountSettings,
) -> User:
    """Set the password through a link; the link stops working at once (the hash changed)."""
    # The row is locked: two tabs submitting the same link cannot both use it.
    user = _linked_user(session, token, now=now, settings=settings, lock=True)
    _check_new_password(password, password_again)
    user.set_password(password)
    redact_token_in_mail(session, token)
    session.flush()
    audit.record(session, user, AuditAction.PASSWORD_SET, AUDIT_SUBJECT, user.id)
    return user


def change_own_password(
    session: Session, user: User, current_password: str, password: str, password_again: str
) -> User:
    """A logged-in person changes their own password (the current one is asked for)."""
    if not user.check_password(current_password):
        message = _("Det nuvarande lösenordet stämmer inte.")
        raise ValidationFailed(message, {"current_password": message})
    _check_new_password(password, password_again)
    user.set_password(password)
    session.flush()
    audit.record(session, user, AuditAction.PASSWORD_CHANGE, AUDIT_SUBJECT, user.id)
    return user
