"""Public pages for newcomers: no account needed."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("public", __name__)


@bp.route("/")
def index() -> str:
    """Landing page of the service."""
    return render_template("public/index.html")
