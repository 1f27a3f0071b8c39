""" "Min anmälan": the newcomer's own page behind a personal link (no account, no password).

``/min-anmalan`` asks for an email address or mobile number and always answers the same;
``/min-anmalan/<token>`` shows where the registration stands and offers the changes. The
services do the work and the audit logging; these views parse, call, commit and render.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from avestavard.errors import ValidationFailed
from avestavard.extensions import csrf, db, limiter
from avestavard.forms import show_service_errors
from avestavard.models import Newcomer
from avestavard.public import bp
from avestavard.public.my_registration_forms import ButtonForm, LinkRequestForm, OwnAnswersForm
from avestavard.public.register_forms import (
    language_choices,
    newcomer_answers,
    profile_template_helpers,
)
from avestavard.services import my_registration as service
from avestavard.services.profiles import interest_suggestions


def _settings() -> service.MyRegistrationSettings:
    return service.MyRegistrationSettings.from_config(current_app.config)


def _link_limit() -> str:
    return str(current_app.config["MY_REGISTRATION_LINK_RATE_LIMIT"])


def _contact_key() -> str:
    # The same address asked for again and again, from any number of machines.
    typed = (request.form.get("contact") or "").strip().lower()
    return "my-link:" + hashlib.sha256(typed.encode()).hexdigest()


def _problem(exc: service.LinkNotValid | service.LinkExpired, token: str) -> tuple[str, int]:
    db.session.rollback()
    expired = isinstance(exc, service.LinkExpired)
    return (
        render_template(
            "public/my_registration/link_problem.html",
            expired=expired,
            token=token,
            form=ButtonForm(),
        ),
        exc.status_code,
    )


def _open(token: str, *, record_view: bool) -> Newcomer:
    now, settings = datetime.now(UTC), _settings()
    if record_view:
        return service.open_my_registration(db.session, token, now=now, settings=settings)
    return service.newcomer_for_link(db.session, token, now=now, settings=settings)


@bp.route("/min-anmalan", methods=["GET", "POST"])
@limiter.limit(_link_limit, methods=["POST"])
@limiter.limit(_link_limit, methods=["POST"], key_func=_contact_key)
def my_registration_request() -> Response | tuple[str, int]:
    """ "Send me my link": the same answer whether or not the person is registered."""
    form = LinkRequestForm()
    if form.validate_on_submit():
        try:
            contact = service.parse_contact(form.contact.data)
        except ValidationFailed as exc:
            form.contact.errors = [*form.contact.errors, exc.errors["contact"]]
        else:
            service.request_link(
                db.session, contact, language=str(get_locale() or "sv"), settings=_settings()
            )
            db.session.commit()
            return redirect(url_for("public.my_registration_sent"))
    status = 400 if form.is_submitted() else 200
    return render_template("public/my_registration/request.html", form=form), status


@bp.route("/min-anmalan/skickat")
def my_registration_sent() -> str:
    """What happens next (the same words for everyone)."""
    return render_template(
        "public/my_registration/sent.html", valid_days=_settings().link_max_age.days
    )


@bp.route("/min-anmalan/<token>")
def my_registration(token: str) -> str | tuple[str, int]:
    """Where the registration stands, the answers, and what the newcomer can do."""
    try:
        newcomer = _open(token, record_view=True)
    except (service.LinkNotValid, service.LinkExpired) as exc:
        return _problem(exc, token)
    standing = service.standing(db.session, newcomer)
    db.session.commit()
    return render_template(
        "public/my_registration/page.html",
        newcomer=newcomer,
        standing=standing,
        token=token,
        form=ButtonForm(),
        **profile_template_helpers(),
    )


def _own_answers(form: OwnAnswersForm) -> service.OwnAnswers:
    return newcomer_answers(form, service.OwnAnswers)


# As on the registration form, the form checks its own CSRF token, so an expired one shows the
# filled form again instead of an error page.
@bp.route("/min-anmalan/<token>/andra", methods=["GET", "POST"])
@csrf.exempt
def my_registration_edit(token: str) -> Response | str | tuple[str, int]:
    """Change one's own answers."""
    try:
        newcomer = _open(token, record_view=request.method == "GET")
    except (service.LinkNotValid, service.LinkExpired) as exc:
        return _problem(exc, token)
    form = OwnAnswersForm(obj=newcomer)
    form.languages.choices = language_choices(newcomer.languages)
    if not form.is_submitted():
        form.interests.data = ", ".join(newcomer.interests_raw or [])
        form.household.data = newcomer.household.value if newcomer.household else None
        form.birth_year.data = str(newcomer.birth_year) if newcomer.birth_year else ""
    elif form.validate():
        try:
            service.update_own_answers(
                db.session, newcomer, _own_answers(form), now=datetime.now(UTC)
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Tack! Dina ändringar är sparade."), "success")
            return redirect(url_for("public.my_registration", token=token))
    db.session.commit()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "public/my_registration/edit.html",
        form=form,
        token=token,
        suggestions=interest_suggestions(str(get_locale() or "sv")),
    ), status


def _change_standing(
    token: str, change: Callable[..., Newcomer], done: str
) -> Response | tuple[str, int]:
    """Pause or resume from the newcomer's page (the service audit-logs it), then back there."""
    try:
        newcomer = _open(token, record_view=False)
    except (service.LinkNotValid, service.LinkExpired) as exc:
        return _problem(exc, token)
    change(db.session, newcomer, now=datetime.now(UTC))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("public.my_registration", token=token))


@bp.route("/min-anmalan/<token>/pausa", methods=["POST"])
def my_registration_pause(token: str) -> Response | tuple[str, int]:
    """ "Not now": stop looking for a host until the newcomer resumes."""
    return _change_standing(
        token,
        service.pause,
        _("Anmälan är pausad. Vi letar inte efter en värd förrän du fortsätter."),
    )


@bp.route("/min-anmalan/<token>/fortsatt", methods=["POST"])
def my_registration_resume(token: str) -> Response | tuple[str, int]:
    """Look for a host again."""
    return _change_standing(
        token, service.resume, _("Välkommen tillbaka! Nu letar vi efter en värd åt dig igen.")
    )


@bp.route("/min-anmalan/<token>/avsluta", methods=["GET", "POST"])
def my_registration_withdraw(token: str) -> str | tuple[str, int]:
    """Withdraw: one confirmation, then everything about the person is erased."""
    try:
        newcomer = _open(token, record_view=request.method == "GET")
    except (service.LinkNotValid, service.LinkExpired) as exc:
        return _problem(exc, token)
    form = ButtonForm()
    if form.validate_on_submit():
        service.withdraw(db.session, newcomer)
        db.session.commit()
        return render_template("public/my_registration/withdrawn.html")
    db.session.commit()
    return render_template("public/my_registration/withdraw.html", token=token, form=form)


@bp.route("/min-anmalan/<token>/ny-lank", methods=["POST"])
@limiter.limit(_link_limit)
def my_registration_renew(token: str) -> Response | tuple[str, int]:
    """Send a new link to the registration's email address (also for an expired link)."""
    try:
        service.renew_link(db.session, token, settings=_settings())
    except service.LinkNotValid as exc:
        return _problem(exc, token)
    db.session.commit()
    return redirect(url_for("public.my_registration_sent"))
