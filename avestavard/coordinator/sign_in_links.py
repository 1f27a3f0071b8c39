"""Coordinators send a host a new emailed sign-in link (never a code read aloud)."""

from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.security import coordinator_required
from avestavard.services.sign_in import resend_sign_in_link


@bp.post("/hosts/<int:host_id>/sign-in-link")
@coordinator_required
def host_sign_in_link(host_id: int) -> Response:
    """Email the host a sign-in link that works once, for 15 minutes."""
    user = resend_sign_in_link(
        db.session,
        current_user,
        host_id,
        now=utcnow(),
        base_url=str(current_app.config["PUBLIC_BASE_URL"]),
    )
    db.session.commit()
    flash(_("En inloggningslänk är skickad till %(email)s.", email=user.email), "success")
    return redirect(url_for("coordinator.host_detail", host_id=host_id))
