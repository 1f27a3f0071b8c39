"""Newcomer registration at /register (no account; may be framed by the municipality's site)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from avestavard.errors import ValidationFailed
from avestavard.extensions import csrf, db, limiter
from avestavard.forms import show_service_errors
from avestavard.public import bp
from avestavard.public.register_forms import RegistrationForm, newcomer_answers
from avestavard.services.my_registration import MyRegistrationSettings, link_token
from avestavard.services.profiles import (
    RegistrationInput,
    RegistrationSettings,
    check_confirmation_token,
    confirm_registration,
    interest_suggestions,
    register_newcomer,
)

_BLANK_PAGE = "avestavard.register.blank_page"


def _register_limit() -> str:
    return str(current_app.config["REGISTER_RATE_LIMIT"])


def _frameable(*_args: Any) -> None:
    """These pages may be shown in an iframe on the municipality's own site (and only there)."""
    g.frameable = True


def _settings() -> RegistrationSettings:
    return RegistrationSettings.from_config(current_app.config)


def my_registration_settings() -> MyRegistrationSettings:
    """The settings of the newcomer's own page."""
    return MyRegistrationSettings.from_config(current_app.config)


def _render_form(form: RegistrationForm, status: int = 200) -> tuple[str, int]:
    locale = str(get_locale() or "sv")
    page = render_template(
        "public/register.html", form=form, suggestions=interest_suggestions(locale)
    )
    return page, status


def _blank_page() -> str:
    """The form as a first visitor sees it, rendered once per language around its CSRF token.

    Everything else on the page comes from the configuration, the interest taxonomy and the
    language, so every anonymous visitor in one language gets the same HTML but for the token,
    which is new for each visitor's session. A signed-in user (whose menu differs) or a visitor
    with a message waiting to be shown gets the page rendered for them.
    """
    locale = str(get_locale() or "sv")
    cache: dict[str, tuple[str, str]] = current_app.extensions.setdefault(_BLANK_PAGE, {})
    parts = cache.get(locale)
    personal = current_user.is_authenticated or bool(session.get("_flashes"))
    if parts is not None and not personal:
        return parts[0] + generate_csrf() + parts[1]
    form = RegistrationForm(formdata=None)
    form.preferred_language.data = locale
    page, _status = _render_form(form)
    token = form.csrf_token.current_token
    if not personal and token and page.count(token) == 1:
        before, _token, after = page.partition(token)
        cache[locale] = (before, after)
    return page


def _input_from(form: RegistrationForm) -> RegistrationInput:
    return newcomer_answers(
        form,
        RegistrationInput,
        email=form.email.data or None,
        privacy_notice_version=str(current_app.config["PRIVACY_NOTICE_VERSION"]),
    )


# The global CSRF check would answer an expired token with an error page and lose what the
# newcomer typed; the form checks its own token instead and shows the filled form again.
@bp.route("/register", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(
    _register_limit,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 302,
    on_breach=_frameable,
)
def register() -> Response | str | tuple[str, int]:
    """The registration form; a valid one is saved and the confirmation email queued."""
    _frameable()
    if request.method == "GET":
        return _blank_page()
    form = RegistrationForm()
    if not form.validate():
        return _render_form(form, 400)
    for attempt in (1, 2):
        try:
            outcome = register_newcomer(
                db.session, _input_from(form), now=datetime.now(UTC), settings=_settings()
            )
            db.session.commit()
            break
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
            return _render_form(form, 400)
        except IntegrityError:
            # The same address sent twice at the same moment: the second attempt finds the
            # registration the first one saved, and stages its answers.
            db.session.rollback()
            if attempt == 2:
                raise
    via = "email" if outcome.newcomer.email else "phone"
    return redirect(url_for("public.register_thanks", via=via))


@bp.route("/register/thanks")
def register_thanks() -> str:
    """What happens next: check your email, or wait for our call."""
    _frameable()
    via = "phone" if request.args.get("via") == "phone" else "email"
    return render_template(
        "public/register_thanks.html", via=via, valid_days=_settings().confirm_max_age.days
    )


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def register_confirm(token: str) -> tuple[str, int] | str:
    """The link from the email: a button confirms (mail scanners that open links do not)."""
    _frameable()
    now = datetime.now(UTC)
    try:
        if request.method == "POST":
            newcomer = confirm_registration(db.session, token, now=now, settings=_settings())
            db.session.commit()
            return render_template(
                "public/register_confirmed.html",
                my_registration_token=link_token(newcomer, my_registration_settings()),
            )
        check_confirmation_token(db.session, token, now=now, settings=_settings())
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("public/register_confirm.html", problem=exc.message), 400
    return render_template("public/register_confirm.html", problem=None)
