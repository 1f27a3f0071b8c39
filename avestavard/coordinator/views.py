"""The coordinators' pages (samordnare)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.security import coordinator_required
from avestavard.services.my_registration import withdrawal_count
from avestavard.services.people import start_page_people
from avestavard.services.search import search_people


@bp.route("/")
@coordinator_required
def index() -> str:
    """Start page: one search box over hosts, newcomers and households; without a query,
    the hosts and newcomers."""
    query = request.args.get("q", "").strip()[:200]
    if query:
        hits = search_people(db.session, current_user, query, limit=100)
        page = render_template("coordinator/search.html", query=query, hits=hits)
    else:
        hosts, newcomers = start_page_people(db.session, current_user)
        page = render_template(
            "coordinator/index.html",
            query=query,
            hosts=hosts,
            newcomers=newcomers,
            withdrawals=withdrawal_count(db.session),
        )
    # The audit event of the search or the lists, committed after rendering: a commit
    # expires the loaded rows, and the page would read each one again.
    db.session.commit()
    return page
