"""The hosts' own pages: only their own profile and matches."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from avestavard.extensions import db
from avestavard.host import bp
from avestavard.models.matches import MatchState
from avestavard.security import host_required
from avestavard.services import matches as matches_service
from avestavard.services.authorization import own_host


@bp.route("/")
@host_required
def index() -> str:
    """A host's start page: first what waits for the host's answer, then the other matches."""
    own = matches_service.matches_of_host(db.session, current_user)
    db.session.commit()
    waiting = [m for m in own if m.state == MatchState.HOST_NOTIFIED]
    return render_template(
        "host/index.html",
        host=own_host(db.session, current_user),
        waiting=waiting,
        ongoing=[m for m in own if m.is_active and m not in waiting],
        state_label=matches_service.host_state_label,
    )
