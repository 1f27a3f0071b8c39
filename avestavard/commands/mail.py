"""``avestavard send-mail``: deliver the outbox (once, or as a long-running sender)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from avestavard.extensions import db
from avestavard.models import utcnow


def _summary(report: Any) -> str:
    return (
        f"Skickade {report.sent}, försöker igen {report.retried}, misslyckade {report.failed}, "
        f"okänt utfall {report.unknown}"
        + (
            f"; återtagna från avbruten sändare: {report.recovered_retry} försöks igen, "
            f"{report.recovered_unknown} okända"
            if report.recovered_retry or report.recovered_unknown
            else ""
        )
    )


@click.command("send-mail")
@click.option("--once", is_flag=True, help="Skicka det som väntar nu och avsluta.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Skicka högst N meddelanden."
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Sekunder mellan körningarna utan --once (standard MAIL_POLL_SECONDS, 30).",
)
@with_appcontext
def send_mail_command(once: bool, limit: int | None, interval: float | None) -> None:
    """Send the queued emails in the outbox over SMTP (see avestavard.services.mail_sender)."""
    from avestavard.services.mail_sender import send_due_mail

    config = current_app.config
    stopping = threading.Event()
    if not once:
        # SIGTERM/SIGINT: finish the message being sent, give the rest back, then exit.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
    pause = interval if interval is not None else float(config.get("MAIL_POLL_SECONDS", 30))
    remaining = limit
    server_error = False
    while True:
        report = send_due_mail(
            db.engine, utcnow(), config=config, limit=remaining, stop=stopping.is_set
        )
        server_error = report.server_error is not None
        if once or report.claimed or report.recovered_retry or report.recovered_unknown:
            click.echo(_summary(report))
        if server_error:
            click.echo(f"E-postservern gick inte att använda: {report.server_error}", err=True)
        if remaining is not None:
            remaining -= report.claimed
        if once or stopping.is_set() or (remaining is not None and remaining <= 0):
            break
        stopping.wait(pause)
        if stopping.is_set():
            break
    db.engine.dispose()
    if server_error:
        sys.exit(1)


commands = [send_mail_command]
