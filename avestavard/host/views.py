"""The hosts' own pages: only their own profile and matches."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.host import bp
from avestavard.models import Host
from avestavard.models.matches import MatchState
from avestavard.security import host_required
from avestavard.services import matches as matches_service


def current_host() -> Host | None:
    """The host profile linked to the logged-in account."""
    return db.session.scalar(select(Host).where(Host.user_id == current_user.id))


@bp.route("/")
@host_required
def index() -> str:
    """A host's start page: first what waits for the host's answer, then the other matches."""
    own = matches_service.matches_of_host(db.session, current_user)
    db.session.commit()
    waiting = [m for m in own if m.state == MatchState.HOST_NOTIFIED]
    return render_template(
        "host/index.html",
        host=current_host(),
        waiting=waiting,
        ongoing=[m for m in own if m.is_active and m not in waiting],
        state_label=matches_service.host_state_label,
    )
