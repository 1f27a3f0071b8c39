"""Choosing a password: the set-password page a link leads to, and "change my password".

The routes belong to the ``auth`` blueprint; importing this module registers them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from avestavard.auth.password_forms import ChangePasswordForm, SetPasswordForm
from avestavard.auth.views import bp, home_for
from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_errors
from avestavard.services.accounts import (
    AccountSettings,
    change_own_password,
    check_password_link,
    set_password_with_link,
)


def _put_errors(form: SetPasswordForm | ChangePasswordForm, exc: ValidationFailed) -> None:
    db.session.rollback()
    show_service_errors(form, exc)


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> str | tuple[str, int] | Response:
    """The new password, twice; afterwards the link no longer works."""
    settings = AccountSettings.from_config(current_app.config)
    now = datetime.now(UTC)
    try:
        user = check_password_link(db.session, token, now=now, settings=settings)
    except ValidationFailed as exc:
        return render_template("auth/password_link_invalid.html", message=exc.message), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password_with_link(
                db.session,
                token,
                form.password.data or "",
                form.password_again.data or "",
                now=now,
                settings=settings,
            )
        except ValidationFailed as exc:
            if not exc.errors:  # the link was used in another tab a moment ago
                db.session.rollback()
                return render_template("auth/password_link_invalid.html", message=exc.message), 410
            _put_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Ditt lösenord är sparat. Logga in med det."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password_set.html", form=form, email=user.email), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | tuple[str, int] | Response:
    """A logged-in person changes their own password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(
                db.session,
                current_user,
                form.current_password.data or "",
                form.password.data or "",
                form.password_again.data or "",
            )
        except ValidationFailed as exc:
            _put_errors(form, exc)
        else:
            db.session.commit()
            # Other sessions of the account ended with the new password; this one goes on.
            session["session_version"] = current_user.session_version
            flash(_("Ditt nya lösenord är sparat."), "success")
            return redirect(home_for(current_user))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/password_change.html", form=form), status
