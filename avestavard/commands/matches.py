"""``avestavard propose`` (recompute the match proposals) and ``avestavard send-follow-ups``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from avestavard.extensions import db
from avestavard.services.audit import SystemActor


@click.command("propose")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def propose_command(as_json: bool) -> None:
    """Recompute the match proposals for every waiting newcomer (decisions are kept)."""
    from avestavard.services.matches import MatchSettings, recompute_proposals

    settings = MatchSettings.from_config(current_app.config)
    summary = recompute_proposals(
        db.session, datetime.now(UTC), top_k=settings.top_k, actor=SystemActor("avestavard propose")
    )
    db.session.commit()
    if as_json:
        click.echo(json.dumps(summary.__dict__))
        return
    click.echo(
        f"Förslag beräknade: {summary.newcomers} väntande nyinflyttade, "
        f"{summary.assigned} med föreslagen värd, {summary.proposals} förslag sparade, "
        f"{summary.removed} gamla förslag borttagna."
    )


@click.command("send-follow-ups")
@with_appcontext
def send_follow_ups_command() -> None:
    """Queue the one-month follow-up questions that are due (safe to run twice)."""
    from avestavard.services.matches import MatchSettings, send_follow_ups

    queued = send_follow_ups(
        db.session, datetime.now(UTC), MatchSettings.from_config(current_app.config)
    )
    db.session.commit()
    click.echo(f"Uppföljningsfrågor köade: {queued}")


commands = [propose_command, send_follow_ups_command]
