"""A host's own profile: see it, change it, pause ("not available until") and resume.

There is no host id in these URLs: a host only ever reaches the profile linked to the account.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_errors
from avestavard.host import bp
from avestavard.host.profile_forms import HostSelfForm, PauseForm
from avestavard.public.register_forms import host_answers
from avestavard.security import host_required
from avestavard.services.profiles import (
    HostSelfInput,
    host_for_user,
    pause_host,
    update_host_profile,
    view_own_host_profile,
)


@bp.context_processor
def _profile_helpers() -> dict[str, Any]:
    from avestavard.public.register_forms import profile_template_helpers

    return profile_template_helpers()


@bp.route("/profile")
@host_required
def profile() -> str:
    """The host's own profile, with the pause form."""
    host = view_own_host_profile(db.session, current_user)
    db.session.commit()
    return render_template("host/profile.html", host=host, pause_form=PauseForm())


@bp.route("/profile/edit", methods=["GET", "POST"])
@host_required
def edit_profile() -> Response | tuple[str, int]:
    """Change one's own profile."""
    if request.method == "GET":
        host = view_own_host_profile(db.session, current_user)
    else:
        host = host_for_user(db.session, current_user)  # the change itself is audit-logged
    form = HostSelfForm(obj=host, extra_languages=host.languages)
    if not form.is_submitted():
        form.interests.data = ", ".join(host.interests_raw or [])
        form.household.data = host.household.value if host.household else None
    if form.validate_on_submit():
        data = host_answers(form, HostSelfInput)
        try:
            update_host_profile(db.session, current_user, data)
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Din profil är sparad."), "success")
            return redirect(url_for("host.profile"))
    db.session.commit()
    status = 400 if form.is_submitted() else 200
    return render_template("host/profile_edit.html", form=form, host=host), status


@bp.route("/profile/pause", methods=["POST"])
@host_required
def pause() -> Response | tuple[str, int]:
    """Pause oneself until a date."""
    host = host_for_user(db.session, current_user)
    form = PauseForm()
    if form.validate_on_submit() and form.until.data is not None:
        try:
            pause_host(db.session, current_user, host.id, form.until.data, today=date.today())
        except ValidationFailed as exc:
            db.session.rollback()
            form.until.errors = [*form.until.errors, exc.message]
        else:
            db.session.commit()
            flash(
                _("Du är pausad till och med %(date)s.", date=form.until.data.isoformat()),
                "success",
            )
            return redirect(url_for("host.profile"))
    db.session.rollback()
    return render_template("host/profile.html", host=host, pause_form=form), 400


@bp.route("/profile/resume", methods=["POST"])
@host_required
def resume() -> Response:
    """End one's pause now."""
    host = host_for_user(db.session, current_user)
    pause_host(db.session, current_user, host.id, None, today=date.today())
    db.session.commit()
    flash(_("Välkommen tillbaka! Du kan få nya matchningar igen."), "success")
    return redirect(url_for("host.profile"))
