"""``avestavard report``: the status report for the steering group (JSON, XLSX or PDF)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask import current_app, render_template
from flask.cli import with_appcontext

from avestavard.errors import DomainError
from avestavard.extensions import db


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} är inte ett datum (ÅÅÅÅ-MM-DD)", param_hint=name
        ) from exc


@click.command("report")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day (included), YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["json", "xlsx", "pdf"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
@with_appcontext
def report_command(start: str, end: str, fmt: str, out: Path | None) -> None:
    """The figures of a period; JSON goes to standard output unless --out is given."""
    from avestavard.services.figures import Period, compute_figures
    from avestavard.services.letter_rules import load_letter_config
    from avestavard.services.status_report import build_report, to_pdf, to_xlsx

    if fmt != "json" and out is None:
        raise click.UsageError("--out behövs för xlsx och pdf")
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Stockholm"))
    today = datetime.now(zone).date()
    stages = {s.number: s.label for s in load_letter_config().schedule.stages}
    try:
        period = Period(_day(start, "--from"), _day(end, "--to"))
        if fmt == "json":
            figures = compute_figures(db.session, period, stages=sorted(stages), today=today)
            data = json.dumps(figures, ensure_ascii=False, indent=2).encode("utf-8")
        else:
            report = build_report(
                db.session,
                period,
                stage_labels=stages,
                today=today,
                suppress_below=int(current_app.config.get("REPORT_SUPPRESS_BELOW", 5)),
            )
            data = to_xlsx(report) if fmt == "xlsx" else to_pdf(report, render_template)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        db.session.rollback()
    if out is None:
        click.echo(data.decode("utf-8"))
    else:
        out.write_bytes(data)
        click.echo(f"Skrev {out}", err=True)


commands = [report_command]
