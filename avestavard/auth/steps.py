"""The steps of signing in, shared by the password form and the emailed sign-in link.

After the first factor (password or link) an account with two-factor sign-in, or whose role
requires it, is *not* logged in: the session only holds a pending marker (the account, its
session version and the time), which no page but the code and enrolment steps reads. Flask-Login
knows nothing of it, so every ``login_required`` page still sends the person to the log-in page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, redirect, session, url_for
from werkzeug.wrappers import Response

from avestavard.extensions import db
from avestavard.models import User
from avestavard.models.audit import AuditAction
from avestavard.security import is_safe_next
from avestavard.services import audit, two_factor

PENDING_KEY = "two_factor_pending"
# The code must follow the password within this time, or the password is asked for again.
PENDING_SECONDS = 600


def home_for(user: object) -> str:
    """Where a user lands after logging in."""
    return (
        url_for("coordinator.index")
        if getattr(user, "is_coordinator", False)
        else url_for("host.index")
    )


def required_roles() -> list[str]:
    """The roles that must sign in with two factors (``MFA_REQUIRED_ROLES``)."""
    return list(current_app.config.get("MFA_REQUIRED_ROLES") or [])


def _fresh_session() -> None:
    """Nothing from before survives a sign-in step (no session fixation), except the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def log_in(user: User) -> None:
    """Log ``user`` in on a fresh session and audit it; the caller commits."""
    from flask_login import login_user

    _fresh_session()
    login_user(user)
    session["session_version"] = user.session_version
    audit.record(db.session, user, AuditAction.LOGIN)


def landing(user: User, target: str | None) -> str:
    """``target`` if it is a path on this site, else the user's start page."""
    return target if target and is_safe_next(target) else home_for(user)


def after_first_factor(user: User, target: str | None) -> Response:
    """The password or the link was right: log in, or go on to the code or enrolment step."""
    if not two_factor.needs_second_step(user, required_roles()):
        log_in(user)
        db.session.commit()
        return redirect(landing(user, target))
    _fresh_session()
    session[PENDING_KEY] = {
        "user_id": user.id,
        "version": user.session_version,
        "since": int(time.time()),
        "next": target if target and is_safe_next(target) else "",
    }
    db.session.commit()
    if user.has_two_factor:
        return redirect(url_for("auth.two_factor_code"))
    return redirect(url_for("auth.two_factor_enrol"))


@dataclass(frozen=True)
class Pending:
    """An account half-way through signing in: first factor given, second not yet."""

    user: User
    target: str


def pending_sign_in() -> Pending | None:
    """The half-signed-in account of this session, if still valid (recent, same version)."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return None
    since = marker.get("since")
    user_id = marker.get("user_id")
    if not isinstance(since, int) or not isinstance(user_id, int):
        return None
    if not 0 <= time.time() - since <= PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != marker.get("version"):
        return None
    return Pending(user=user, target=str(marker.get("next") or ""))


def pending_key() -> str:
    """The rate-limit key of the code step: the account being signed in to, from any address."""
    marker = session.get(PENDING_KEY)
    user_id = marker.get("user_id") if isinstance(marker, dict) else None
    return f"two-factor:{user_id}"
