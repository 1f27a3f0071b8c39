"""Two-factor sign-in pages: the code step, enrolment (QR code), recovery codes, and the
account page to switch it on, change the app, get new recovery codes or switch it off.

The routes belong to the ``auth`` blueprint; importing this module registers them. Changing an
existing second factor asks for the password again first. A logged-in account whose role
requires two-factor sign-in but has none reaches only the enrolment page and log-out.
"""

from __future__ import annotations

import time

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from avestavard.auth.forms import CodeForm, EnrolForm, TwoFactorChangeForm
from avestavard.auth.steps import (
    landing,
    log_in,
    pending_key,
    pending_sign_in,
    required_roles,
)
from avestavard.auth.views import _login_limit, bp
from avestavard.errors import ValidationFailed
from avestavard.extensions import db, limiter
from avestavard.forms import show_service_errors
from avestavard.models import User, utcnow
from avestavard.services import two_factor

# How long the password typed on the account page allows changing the app.
REAUTH_SECONDS = 600
_REAUTH_KEY = "two_factor_reauth"
# Set when the enrolment page first showed a secret in this session (reloads keep it).
_SHOWN_KEY = "two_factor_secret_shown"

# Endpoints a logged-in account that must enrol can still reach.
_OPEN_WHILE_ENROLLING = {"auth.two_factor_enrol", "auth.logout", "static"}


def _code_limit() -> str:
    return str(current_app.config["MFA_CODE_RATE_LIMIT"])


def _refused(response: Response) -> bool:
    return response.status_code >= 400


def _put_errors(form: CodeForm | EnrolForm | TwoFactorChangeForm, exc: ValidationFailed) -> None:
    db.session.rollback()
    show_service_errors(form, exc)


def qr_code_svg(uri: str, label: str) -> Markup:
    """The QR code of ``uri`` as inline SVG: paths only, no script or style (the CSP holds)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code", omitsize=True
    )
    # segno's own output (no text from anyone), with the escaped label as its accessible name.
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
    return Markup(named)  # noqa: S704  (segno's SVG and an escaped label)


@bp.before_app_request
def require_enrolment() -> ResponseReturnValue | None:
    """A logged-in account of a role that requires two factors enrols before anything else."""
    if request.endpoint in _OPEN_WHILE_ENROLLING or not current_user.is_authenticated:
        return None
    user: User = current_user._get_current_object()
    if not user.has_two_factor and two_factor.is_required(user, required_roles()):
        return redirect(url_for("auth.two_factor_enrol"))
    return None


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
# Per account, whatever the address: a stolen password gives only a few guesses at the code.
@limiter.limit(_code_limit, key_func=pending_key, methods=["POST"], deduct_when=_refused)
def two_factor_code() -> ResponseReturnValue:
    """The second step: a code from the app, or a recovery code."""
    pending = pending_sign_in()
    if pending is None:
        flash(_("Inloggningen tog för lång tid eller avbröts. Logga in igen."), "info")
        return redirect(url_for("auth.login"))
    if not pending.user.has_two_factor:
        return redirect(url_for("auth.two_factor_enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        user = pending.user
        try:
            accepted = two_factor.verify_second_factor(
                db.session, user, form.code.data or "", now=utcnow()
            )
        except ValidationFailed as exc:
            _put_errors(form, exc)
            return render_template("auth/two_factor_code.html", form=form), 401
        log_in(user)
        db.session.commit()
        if accepted.kind == "recovery-code":
            flash(
                _(
                    "Du loggade in med en reservkod. Den fungerar inte igen; du har "
                    "%(count)d kvar. Skapa nya under Tvåstegsinloggning om de tar slut.",
                    count=accepted.recovery_codes_left,
                ),
                "info",
            )
        return redirect(landing(user, pending.target))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/two_factor_code.html", form=form), status


def _enrolling_user() -> tuple[User, str | None] | Response:
    """Who enrols: the logged-in account, or the one half-way through signing in whose role
    requires it. The second item is where to go afterwards when enrolment ends the sign-in."""
    if current_user.is_authenticated:
        user: User = current_user._get_current_object()
        if user.has_two_factor and not _recently_reauthenticated(user):
            flash(_("Skriv ditt lösenord för att byta app."), "info")
            return redirect(url_for("auth.two_factor_settings"))
        return user, None
    pending = pending_sign_in()
    if pending is None or pending.user.has_two_factor:
        return redirect(url_for("auth.login"))
    return pending.user, pending.target


def _recently_reauthenticated(user: User) -> bool:
    marker = session.get(_REAUTH_KEY)
    if not isinstance(marker, dict) or marker.get("user_id") != user.id:
        return False
    since = marker.get("since")
    return isinstance(since, int) and 0 <= time.time() - since <= REAUTH_SECONDS


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
def two_factor_enrol() -> ResponseReturnValue:
    """Show the QR code and the key; the first code from the app switches it on."""
    who = _enrolling_user()
    if isinstance(who, Response):
        return who
    user, target = who
    signing_in = not current_user.is_authenticated
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            if session.get(_SHOWN_KEY) != user.id:  # the code must be for the key shown here
                raise two_factor.wrong_code()
            codes = two_factor.confirm_enrolment(
                db.session, user, form.code.data or "", now=utcnow()
            )
        except ValidationFailed as exc:
            _put_errors(form, exc)
        else:
            if signing_in:
                log_in(user)
                next_url = landing(user, target)
            else:
                # Other sessions of the account ended; this one goes on.
                session["session_version"] = user.session_version
                session.pop(_REAUTH_KEY, None)
                next_url = url_for("auth.two_factor_settings")
            session.pop(_SHOWN_KEY, None)
            db.session.commit()
            return render_template(
                "auth/two_factor_recovery_codes.html", codes=codes, next_url=next_url
            )
    fresh = session.get(_SHOWN_KEY) != user.id
    enrolment = two_factor.start_enrolment(db.session, user, fresh=fresh)
    session[_SHOWN_KEY] = user.id
    db.session.commit()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "auth/two_factor_enrol.html",
        form=form,
        enrolment=enrolment,
        qr_code=qr_code_svg(enrolment.uri, _("QR-kod att skanna med appen")),
        account_email=user.email,
        required=two_factor.is_required(user, required_roles()),
        signing_in=signing_in,
    ), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_refused)
def two_factor_settings() -> ResponseReturnValue:
    """The account's two-factor state; with the password: change app, new codes, or off."""
    user: User = current_user._get_current_object()
    form = TwoFactorChangeForm()
    action = request.form.get("action", "")
    if user.has_two_factor and form.validate_on_submit():
        password = form.password.data or ""
        try:
            if action == "off":
                two_factor.turn_off(db.session, user, password, required_roles())
            else:
                two_factor.check_password_again(user, password)
        except ValidationFailed as exc:
            _put_errors(form, exc)
        else:
            if action == "off":
                session["session_version"] = user.session_version
                db.session.commit()
                flash(_("Tvåstegsinloggning är avstängd."), "success")
                return redirect(url_for("auth.two_factor_settings"))
            if action == "codes":
                codes = two_factor.new_recovery_codes(db.session, user, now=utcnow())
                db.session.commit()
                return render_template(
                    "auth/two_factor_recovery_codes.html",
                    codes=codes,
                    next_url=url_for("auth.two_factor_settings"),
                )
            session[_REAUTH_KEY] = {"user_id": user.id, "since": int(time.time())}
            session.pop(_SHOWN_KEY, None)
            return redirect(url_for("auth.two_factor_enrol"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "auth/two_factor.html",
        form=form,
        user=user,
        required=two_factor.is_required(user, required_roles()),
        codes_left=two_factor.recovery_codes_left(db.session, user),
    ), status
