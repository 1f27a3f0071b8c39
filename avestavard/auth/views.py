"""Log-in and log-out for coordinators, administrators and hosts."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from avestavard.auth.forms import LoginForm
from avestavard.auth.steps import after_first_factor, home_for
from avestavard.extensions import db, limiter
from avestavard.services.users import authenticate

__all__ = ["bp", "home_for"]

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _account_login_limit() -> str:
    return str(current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"])


def _account_key() -> str:
    """The account being tried (hashed), whatever address the attempts come from."""
    email = str(request.form.get("email", "")).strip().casefold()
    return "login-account:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def _failed(response: Response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
# Per account, whatever the address: the limits grow (minute, hour, day), so guessing one
# account's password slows down more and more while everyone else signs in as usual.
@limiter.limit(_account_login_limit, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login() -> ResponseReturnValue:
    """Show the form; on success go on to the code step, or log in and go to ``next``."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            return after_first_factor(user, form.next.data)
        # One message for unknown user and wrong password: the answer reveals nothing.
        form.password.errors = [_("Fel e-postadress eller lösenord.")]
        return render_template("auth/login.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    """End the session (POST only, with CSRF, so a link elsewhere cannot log you out).

    Every session of the account ends, so a copied session cookie stops working too.
    """
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))
