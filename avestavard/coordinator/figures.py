"""Siffror: the programme's figures for a period, with charts, and the status report files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import Response, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext

from avestavard.coordinator import bp
from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.security import coordinator_required
from avestavard.services.figures import Period, compute_figures
from avestavard.services.letter_rules import load_letter_config
from avestavard.services.status_report import (
    build_report,
    chart_tables,
    render_charts,
    to_pdf,
    to_xlsx,
)

CHART_KEYS = ("activity", "wait", "letters")


def _today() -> date:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm"))
    return datetime.now(zone).date()


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _presets(today: date) -> dict[str, tuple[str, date, date]]:
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    quarter = _quarter_start(today)
    last_quarter_end = quarter - timedelta(days=1)
    return {
        "month": ("Denna månad", month, today),
        "last-month": ("Förra månaden", last_month_end.replace(day=1), last_month_end),
        "quarter": ("Detta kvartal", quarter, today),
        "last-quarter": ("Förra kvartalet", _quarter_start(last_quarter_end), last_quarter_end),
        "year": ("I år", date(today.year, 1, 1), today),
        "last-year": ("Förra året", date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }


def _period() -> tuple[Period, dict[str, str]]:
    """The period in the URL (a preset or from/to); errors go next to the fields."""
    today = _today()
    presets = _presets(today)
    choice = request.args.get("period", "year")
    errors: dict[str, str] = {}
    if choice == "custom":
        values = {}
        for field in ("from", "to"):
            try:
                values[field] = date.fromisoformat(request.args.get(field, ""))
            except ValueError:
                errors[field] = "Skriv ett datum som ÅÅÅÅ-MM-DD."
        if not errors:
            try:
                return Period(values["from"], values["to"]), errors
            except ValidationFailed as exc:
                errors.update(exc.errors)
    _, start, end = presets.get(choice, presets["year"])
    return Period(start, end), errors


def _locale() -> str:
    """The page's language (charts are worded in it; the status report stays Swedish)."""
    return str(get_locale() or "sv")


def _stages() -> dict[int, str]:
    return {s.number: s.label for s in load_letter_config().schedule.stages}


@bp.route("/figures")
@coordinator_required
def figures() -> str:
    """The figures of the chosen period, the funnel and the charts with their tables."""
    period, errors = _period()
    stages = _stages()
    data = compute_figures(db.session, period, stages=sorted(stages), today=_today())
    locale = _locale()
    tables = chart_tables(data, sorted(stages), locale=locale, words=gettext)
    # The page shows each chart as an <img> of its own request: here only texts and tables.
    charts = render_charts(
        tables, [m["month"] for m in data["by_month"]], draw=False, locale=locale, words=gettext
    )
    args: dict[str, Any] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    # The image in the page's language, at its own address (a browser keeps one per language).
    chart_args = {**args, "lang": locale}
    return render_template(
        "coordinator/figures.html",
        figures=data,
        charts=charts,
        presets=_presets(_today()),
        choice=request.args.get("period", "year"),
        errors=errors,
        raw={k: request.args.get(k, "") for k in ("from", "to")},
        chart_url=lambda key: url_for("coordinator.figures_chart", key=key, **chart_args),
        report_url=lambda fmt: url_for("coordinator.figures_report", fmt=fmt, **args),
        stage_labels=stages,
        number=lambda value: format_decimal(value, locale=locale),
    )


@bp.route("/figures/chart/<key>.svg")
@coordinator_required
def figures_chart(key: str) -> Response:
    """One chart as an SVG image (shown with <img>; it carries no script)."""
    if key not in CHART_KEYS:
        return Response("Okänt diagram", status=404)
    period, _ = _period_from_args()
    stages = _stages()
    data = compute_figures(db.session, period, stages=sorted(stages), today=_today())
    locale = _locale()
    tables = {key: chart_tables(data, sorted(stages), locale=locale, words=gettext)[key]}
    [chart] = render_charts(
        tables, [m["month"] for m in data["by_month"]], locale=locale, words=gettext
    )
    response = Response(chart.svg, mimetype="image/svg+xml")
    # matplotlib writes presentation styles into the SVG; an image document runs no script.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return response


def _period_from_args() -> tuple[Period, dict[str, str]]:
    try:
        start = date.fromisoformat(request.args.get("from", ""))
        end = date.fromisoformat(request.args.get("to", ""))
        return Period(start, end), {}
    except (ValueError, ValidationFailed):
        return _period()


@bp.route("/figures/report.<fmt>")
@coordinator_required
def figures_report(fmt: str) -> Response:
    """The status report of the period as PDF or XLSX (small numbers withheld)."""
    if fmt not in ("pdf", "xlsx"):
        return Response("Okänt format", status=404)
    period, _ = _period_from_args()
    report = build_report(
        db.session,
        period,
        stage_labels=_stages(),
        today=_today(),
        suppress_below=int(current_app.config.get("REPORT_SUPPRESS_BELOW", 5)),
    )
    if fmt == "pdf":
        body, mimetype = to_pdf(report, render_template), "application/pdf"
    else:
        body = to_xlsx(report)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"lagesrapport-{period.start}-{period.end}.{fmt}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
