"""The hosts' own pages: only their own profile and matches."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.host import bp
from avestavard.models import Host
from avestavard.security import host_required


def current_host() -> Host | None:
    """The host profile linked to the logged-in account."""
    return db.session.scalar(select(Host).where(Host.user_id == current_user.id))


@bp.route("/")
@host_required
def index() -> str:
    """A host's start page."""
    return render_template("host/index.html", host=current_host())
