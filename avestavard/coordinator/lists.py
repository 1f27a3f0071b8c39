"""Lists of hosts, newcomers and matches: sortable, filtered, paged, exported as on screen.

The URL holds the whole state (``?q=&sort=&page=`` and one argument per filter) so a list can
be bookmarked and shared; ``?format=csv`` or ``?format=xlsx`` on the same URL downloads every
row the filter finds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, render_template, request
from flask_login import current_user

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.forms import page_number
from avestavard.models import HostStatus, NewcomerStatus
from avestavard.models.matches import MatchState
from avestavard.public.register_forms import language_choices
from avestavard.security import coordinator_required
from avestavard.services.export import host_record, match_record, newcomer_record, render_export
from avestavard.services.match_list import (
    MATCH_FILTERS,
    follow_up_summary,
    list_matches,
    matches_for_export,
)
from avestavard.services.matches import state_label
from avestavard.services.person_lists import (
    HOST_FILTERS,
    NEWCOMER_FILTERS,
    ListKind,
    ListQuery,
    list_areas,
    list_for_export,
    list_people,
)

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


FILTERS = {"hosts": HOST_FILTERS, "newcomers": NEWCOMER_FILTERS, "matches": MATCH_FILTERS}


def _query(kind: str) -> ListQuery:
    names = FILTERS[kind]
    filters = {name: request.args.get(name, "").strip()[:40] for name in names}
    return ListQuery(
        q=request.args.get("q", "").strip()[:200],
        sort=request.args.get("sort", "").strip()[:20],
        page=page_number(request.args.get("page")),
        filters={k: v for k, v in filters.items() if v},
    )


def _export(kind: str, query: ListQuery, fmt: str) -> Response:
    if kind == "matches":
        rows = [match_record(m) for m in matches_for_export(db.session, current_user, query)]
    else:
        list_kind: ListKind = "hosts" if kind == "hosts" else "newcomers"
        people = list_for_export(db.session, current_user, list_kind, query)
        rows = [host_record(p) if kind == "hosts" else newcomer_record(p) for p in people]
    db.session.commit()
    data = render_export(rows, fmt, title=kind, csv_delimiter=";")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(
        data,
        mimetype=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{kind}-{stamp}.{fmt}"'},
    )


def _list(kind: ListKind, template: str, statuses: list[str]) -> Response | str:
    query = _query(kind)
    fmt = request.args.get("format", "")
    if fmt in EXPORT_TYPES:
        return _export(kind, query, fmt)
    result = list_people(db.session, current_user, kind, query)
    areas = sorted(set(list_areas(db.session, kind)) | set(current_app.config["AREAS"]))
    page = render_template(
        template,
        kind=kind,
        query=query,
        result=result,
        area_choices=[(area, area) for area in areas],
        languages=language_choices(),
        status_choices=[(status, status) for status in statuses],
    )
    db.session.commit()  # the audit event of the view, after rendering (see ``matches``)
    return page


@bp.route("/hosts")
@coordinator_required
def host_list() -> Response | str:
    """Every host: filter by area, language, status and free capacity; sort by any column."""
    return _list("hosts", "coordinator/lists/hosts.html", [s.value for s in HostStatus])


@bp.route("/newcomers")
@coordinator_required
def newcomer_list() -> Response | str:
    """Every newcomer, those who waited longest first; filter by area, language, status and
    waiting since."""
    return _list("newcomers", "coordinator/lists/newcomers.html", [s.value for s in NewcomerStatus])


@bp.route("/matches")
@coordinator_required
def matches() -> Response | str:
    """Every match: filter by state, month of approval and host or newcomer; sort by any
    column; the follow-up answers that need a look above the list."""
    query = _query("matches")
    fmt = request.args.get("format", "")
    if fmt in EXPORT_TYPES:
        return _export("matches", query, fmt)
    result = list_matches(db.session, current_user, query)
    follow_ups = follow_up_summary(db.session, current_user)
    page = render_template(
        "coordinator/matches/index.html",
        query=query,
        result=result,
        follow_ups=follow_ups,
        state_choices=[(state.value, state_label(state)) for state in MatchState],
        state_label=state_label,
    )
    # The audit event of the view, committed after rendering: a commit expires the loaded
    # rows, and the page would read each one again.
    db.session.commit()
    return page
