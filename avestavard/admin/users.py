"""Administrators' pages for accounts: the list, a new account, set-password links, switching
accounts off and on. Passwords are never typed or shown here: a new account (or a forgotten
password) gets a set-password link, shown once on the answer page and emailed as well."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.admin import bp
from avestavard.admin.users_forms import AccountActionForm, NewAccountForm
from avestavard.errors import Conflict, ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_errors
from avestavard.models import Role, User
from avestavard.security import admin_required
from avestavard.services.accounts import (
    AccountSettings,
    PasswordLink,
    create_account,
    create_password_reset,
    deactivate_account,
    list_users,
    reactivate_account,
)


def _settings() -> AccountSettings:
    return AccountSettings.from_config(current_app.config)


def _show_link(link: PasswordLink, *, new_account: bool) -> str:
    """The answer page with the link: shown this once (the page is never cached)."""
    return render_template("admin/user_link.html", link=link, new_account=new_account)


@bp.route("/users")
@admin_required
def users() -> str:
    """Every account, with its role and whether it is active (the view is audit-logged)."""
    accounts = list_users(db.session(), current_user)
    db.session.commit()
    return render_template("admin/users.html", accounts=accounts, action_form=AccountActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user() -> str | tuple[str, int]:
    """Create an account; the answer shows the set-password link to pass on."""
    form = NewAccountForm()
    if form.validate_on_submit():
        try:
            link = create_account(
                db.session(),
                current_user,
                email=form.email.data or "",
                role=form.role.data or "",
                name=form.name.data or "",
                now=datetime.now(UTC),
                settings=_settings(),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            return _show_link(link, new_account=True)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user_new.html", form=form), status


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@admin_required
def user_password_link(user_id: int) -> str | Response:
    """A new set-password link for someone who forgot their password."""
    # The CSRF token is checked for every POST by CSRFProtect.
    try:
        link = create_password_reset(
            db.session(), current_user, user_id, now=datetime.now(UTC), settings=_settings()
        )
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("admin.users"))
    db.session.commit()
    return _show_link(link, new_account=False)


def _switch_account(switch: Callable[[], User], done: Callable[[User], str]) -> Response:
    """Switch an account off or on; a refusal (Conflict) is said on the list of accounts."""
    try:
        user = switch()
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done(user), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def user_deactivate(user_id: int) -> Response:
    """Switch an account off (not one's own, not the last administrator)."""
    return _switch_account(
        lambda: deactivate_account(db.session(), current_user, user_id),
        lambda user: _("Kontot för %(email)s är avstängt.", email=user.email),
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def user_reactivate(user_id: int) -> Response:
    """Switch an account on again."""
    return _switch_account(
        lambda: reactivate_account(db.session(), current_user, user_id),
        lambda user: _("Kontot för %(email)s är aktivt igen.", email=user.email),
    )


@bp.context_processor
def _account_helpers() -> dict[str, Any]:
    labels = {
        Role.ADMIN: _l("Administratör"),
        Role.COORDINATOR: _l("Samordnare"),
        Role.HOST: _l("Värd"),
    }
    return {"role_label": lambda role: labels.get(role, str(role))}
