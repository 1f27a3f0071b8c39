"""A coordinator registers a newcomer by hand after a phone call (confirmed at once)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.coordinator.newcomer_new_forms import NewNewcomerForm
from avestavard.coordinator.profiles import newcomer_input
from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.forms import show_service_errors
from avestavard.security import coordinator_required
from avestavard.services.newcomer_intake import (
    find_existing_newcomer,
    register_newcomer_by_coordinator,
)


@bp.route("/newcomers/new", methods=["GET", "POST"])
@coordinator_required
def new_newcomer() -> Response | tuple[str, int] | str:
    """Register a newcomer the coordinator spoke to; they wait for a host at once."""
    form = NewNewcomerForm(languages_offered=current_app.config["PUBLIC_LANGUAGES"])
    existing = None
    if form.validate_on_submit():
        try:
            newcomer = register_newcomer_by_coordinator(
                db.session,
                current_user,
                newcomer_input(form, read_status=False),
                now=datetime.now(UTC),
                privacy_notice_version=str(current_app.config["PRIVACY_NOTICE_VERSION"]),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_service_errors(form, exc)
            # Offer the person we already have (the coordinator may open them: that is logged).
            existing = find_existing_newcomer(
                db.session, email=form.email.data, phone=form.phone.data
            )
        else:
            db.session.commit()
            flash(_("Personen är registrerad och väntar nu på en värd."), "success")
            return redirect(url_for("coordinator.newcomer_detail", newcomer_id=newcomer.id))
    status = 400 if form.is_submitted() else 200
    return render_template("coordinator/newcomer_new.html", form=form, existing=existing), status
