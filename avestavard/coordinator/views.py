"""The coordinators' pages (samordnare)."""

from __future__ import annotations

from flask import render_template, request

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.security import coordinator_required
from avestavard.services.my_registration import withdrawal_count
from avestavard.services.people import search_hosts, search_newcomers
from avestavard.services.search import search


@bp.route("/")
@coordinator_required
def index() -> str:
    """Start page: one search box over hosts, newcomers and households; without a query,
    the hosts and newcomers."""
    query = request.args.get("q", "").strip()[:200]
    if query:
        return render_template(
            "coordinator/search.html", query=query, hits=search(db.session, query, limit=100)
        )
    return render_template(
        "coordinator/index.html",
        query=query,
        hosts=search_hosts(db.session, query),
        newcomers=search_newcomers(db.session, query),
        withdrawals=withdrawal_count(db.session),
    )
