"""Matchningens vikter: the weights the matcher uses beside the documented defaults, and a
reset to the defaults. The rules and the audit log live in
:mod:`avestavard.services.matcher_weights`."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.security import coordinator_required
from avestavard.services.matcher_weights import LearnSettings, reset_weights, weights_overview


def _percent(value: float) -> str:
    return str(format_percent(value, "#,##0.0 %"))


@bp.get("/matching-weights")
@coordinator_required
def weights() -> str:
    """The score's weights in use beside the documented defaults."""
    overview = weights_overview(
        db.session, current_user, settings=LearnSettings.from_config(current_app.config)
    )
    db.session.commit()
    return render_template("coordinator/weights.html", overview=overview, percent=_percent)


@bp.post("/matching-weights/reset")
@coordinator_required
def weights_reset() -> Response:
    """Set the weights back to the documented defaults."""
    reset_weights(db.session, current_user, utcnow())
    db.session.commit()
    flash(_("Matchningen använder nu standardvikterna."), "success")
    return redirect(url_for("coordinator.weights"))
