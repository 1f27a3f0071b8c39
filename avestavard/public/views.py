"""Public pages for newcomers: no account needed."""

from __future__ import annotations

from flask import render_template

from avestavard.public import bp


@bp.route("/")
def index() -> str:
    """Landing page of the service."""
    return render_template("public/index.html")
