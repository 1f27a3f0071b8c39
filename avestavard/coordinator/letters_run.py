"""Coordinators run the day's letters from the page, exactly as the 06:00 job would.

The run claims the day's ``job_runs`` row like the scheduler, so a day has one print batch
whoever runs it first; the scheduler then finds the day done and skips it.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from avestavard.coordinator import bp
from avestavard.extensions import db
from avestavard.jobs.guard import recorded_run
from avestavard.jobs.scheduler import DAILY_JOBS, TIMEZONE, run_daily_job
from avestavard.models import utcnow
from avestavard.security import coordinator_required
from avestavard.services.letters import LetterSettings, run_letters

LETTERS_JOB = next(job for job in DAILY_JOBS if job.name == "letters")


def _today_key() -> str:
    return utcnow().astimezone(TIMEZONE).date().isoformat()


@bp.route("/letters/run")
@coordinator_required
def letters_run_preview() -> str:
    """What today's run would create (nothing is written), and whether it already ran."""
    today = utcnow().astimezone(TIMEZONE).date()
    report = run_letters(
        db.session, today, settings=LetterSettings.from_mapping(current_app.config), dry_run=True
    )
    db.session.rollback()
    done = recorded_run(db.session, LETTERS_JOB.name, _today_key())
    return render_template("coordinator/letters/run.html", report=report, done=done, today=today)


@bp.post("/letters/run")
@coordinator_required
def letters_run_now() -> Response:
    """Run today's letters now (claims the day like the scheduler; a second run does nothing)."""
    outcome = run_daily_job(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        LETTERS_JOB,
        utcnow(),
        period_key=_today_key(),
    )
    messages = {
        "ran": (_("Dagens brev är skapade."), "success"),
        "skipped": (_("Dagens brev är redan skapade (eller skapas just nu)."), "info"),
    }
    message, category = messages.get(
        outcome, (_("Breven kunde inte skapas. Försök igen om en stund."), "error")
    )
    flash(message, category)
    return redirect(url_for("coordinator.letter_batches"))
