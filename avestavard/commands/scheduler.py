"""``avestavard scheduler``: the scheduled jobs, in their own process."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise click.BadParameter(
            "ange tidszon, t.ex. 2026-11-28T07:00:00+01:00", param_hint="--now"
        )
    return moment


@click.command("scheduler")
@click.option(
    "--catch-up-only",
    is_flag=True,
    help="Kör de dagliga jobb som missats och avsluta (utan att starta schemat).",
)
@click.option("--now", "now_text", help="Med --catch-up-only: tidpunkten att köra för (ISO 8601).")
@with_appcontext
def scheduler_command(catch_up_only: bool, now_text: str | None) -> None:
    """Run the scheduler (Europe/Stockholm): letters daily, mail every minute, nightly jobs."""
    from avestavard.jobs.scheduler import catch_up, run_scheduler

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # WeasyPrint logs every page it lays out at INFO.
        for noisy in ("weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    now = _parse_now(now_text)
    if now is not None and not catch_up_only:
        raise click.UsageError("--now går bara att använda med --catch-up-only")
    # The jobs push their own app contexts (one per job thread).
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if catch_up_only:
        click.echo(json.dumps(catch_up(app, now)))
        return
    run_scheduler(app)


commands = [scheduler_command]
