"""Host sign-in by an emailed link: single use, valid 15 minutes, never read aloud.

:func:`send_sign_in_link` queues the link (a host asking on the log-in page, or a coordinator
resending it); :func:`use_sign_in_link` spends it. The link's key is random and only its
SHA-256 is stored; spending it is one conditional UPDATE, so two clicks at once sign in once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from avestavard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from avestavard.models import AuditAction, Host, Role, User
from avestavard.models.sign_in import SignInLink
from avestavard.services import audit
from avestavard.services.audit import Actor
from avestavard.services.mail import queue_templated_mail, redact_token_in_mail

LIFETIME = timedelta(minutes=15)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _host_account(session: Session, email: str) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or user.role != Role.HOST or not user.is_active_account:
        return None
    return user


def _queue_link(session: Session, user: User, *, now: datetime, base_url: str) -> SignInLink:
    key = secrets.token_urlsafe(24)
    link = SignInLink(user_id=user.id, key_hash=_hash(key), expires_at=now + LIFETIME)
    session.add(link)
    session.flush()
    language = user.preferred_language if user.preferred_language in ("sv", "en") else "sv"
    context = {"url": f"{base_url.rstrip('/')}/login/link/{key}", "minutes": 15}
    queue_templated_mail(
        session,
        key=f"sign-in-link:{link.id}",
        to=user.email,
        template="email/sign_in_link",
        subject=_l("Din inloggningslänk till AvestaVärd"),
        language=language,
        context=context,
    )
    return link


def request_sign_in_link(session: Session, email: str, *, now: datetime, base_url: str) -> None:
    """A host asks for a link on the log-in page; nothing is said about whether it exists."""
    user = _host_account(session, email)
    if user is not None:
        _queue_link(session, user, now=now, base_url=base_url)


def resend_sign_in_link(
    session: Session, actor: Actor, host_id: int, *, now: datetime, base_url: str
) -> User:
    """A coordinator sends a host a new sign-in link (e.g. after a phone call)."""
    if not getattr(actor, "is_coordinator", False):
        raise PermissionDenied()
    host = session.get(Host, host_id)
    if host is None:
        raise NotFound()
    user = session.get(User, host.user_id) if host.user_id else None
    if user is None or not user.is_active_account:
        raise Conflict(_("Värden har inget konto att logga in med. Skapa ett först."))
    _queue_link(session, user, now=now, base_url=base_url)
    audit.record(session, actor, AuditAction.SIGN_IN_LINK_SENT, "host", host.id)
    return user


def _invalid() -> ValidationFailed:
    return ValidationFailed(
        _("Länken fungerar inte längre: den är använd eller äldre än 15 minuter. Be om en ny.")
    )


def check_sign_in_link(session: Session, key: str, *, now: datetime) -> SignInLink:
    """The unused, unexpired link for ``key`` (ValidationFailed otherwise); nothing is spent."""
    link = session.scalar(select(SignInLink).where(SignInLink.key_hash == _hash(key)))
    if link is None or link.used_at is not None or now >= link.expires_at:
        raise _invalid()
    return link


def use_sign_in_link(session: Session, key: str, *, now: datetime) -> User:
    """Spend the link for ``key`` and return the account to sign in (ValidationFailed if not)."""
    link = check_sign_in_link(session, key, now=now)
    spent = session.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if not cast(CursorResult[Any], spent).rowcount:
        raise _invalid()
    redact_token_in_mail(session, key)
    user = session.get(User, link.user_id)
    if user is None or not user.is_active_account or user.role != Role.HOST:
        raise _invalid()
    return user
