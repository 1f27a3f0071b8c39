"""The scheduler process: APScheduler 3 (BlockingScheduler), Europe/Stockholm.

Jobs, each a sweep that takes ``now`` and is safe to run twice:

- ``letters``    daily (06:00): :func:`avestavard.services.letters.run_letters` for the local date,
  then :func:`~avestavard.services.letters.purge_finished_households`;
- ``weights``    nightly (01:45): ``avestavard.services.matcher_weights.refit_weights`` learns the
  matcher's weights again when ``MATCH_LEARN_MIN_NEW_DECISIONS`` decisions were made since
  the last refit (before the proposals, which use the weights in use);
- ``proposals``  nightly (02:00): ``avestavard.services.matches.recompute_proposals`` with the
  configured ``MATCH_TOP_K``;
- ``hosts_resume`` nightly (01:30): ``avestavard.services.profiles.resume_due_hosts`` (paused
  hosts whose "not available until" date has passed);
- ``follow_ups`` daily (09:00): ``avestavard.services.matches.send_follow_ups(session, now)``;
- ``retention``  nightly (03:00): ``avestavard.services.retention.purge_expired(session, now)``;
- ``mail``       every minute: ``avestavard.services.mail_sender.send_due_mail(db.session, now)``.

Daily jobs are guarded by the ``job_runs`` table (:mod:`avestavard.jobs.guard`): the period key is
the local date of the latest scheduled time, so two scheduler processes started by mistake still
run each daily job once a day (one letter batch a day). The mail sender needs no guard: it
claims outbox rows itself.

Missed runs after downtime: on start, and every hour after, :func:`catch_up` runs each daily job
whose latest scheduled time has passed without a finished run (the in-memory job store does not
remember the runs a stopped process missed; ``misfire_grace_time`` and ``coalesce`` cover a
process that was running but late, e.g. after a suspend).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy.orm import Session

from avestavard.extensions import db
from avestavard.jobs.guard import claim_job_run, finish_job_run, process_owner
from avestavard.services.audit import SystemActor
from avestavard.services.letters import LetterSettings, purge_finished_households, run_letters
from avestavard.services.mail_sender import send_due_mail
from avestavard.services.matcher_weights import LearnSettings, refit_weights
from avestavard.services.matches import MatchSettings, recompute_proposals, send_follow_ups
from avestavard.services.profiles import resume_due_hosts
from avestavard.services.retention import purge_expired, purge_old_files

log = logging.getLogger("avestavard.scheduler")
# Set on SIGTERM: a mail run in progress stops claiming and releases what it has not sent.
_stopping = threading.Event()

TIMEZONE = ZoneInfo("Europe/Stockholm")

JobBody = Callable[[Flask, Session, datetime], dict[str, Any]]


@dataclass(frozen=True)
class DailyJob:
    """A job that runs once a day at ``at`` (local time), guarded per local date."""

    name: str
    at: time
    body: JobBody
    lease: timedelta = timedelta(hours=2)

    def period(self, now: datetime) -> tuple[str, datetime]:
        """The period key and scheduled time of the latest scheduled run at or before ``now``."""
        local = now.astimezone(TIMEZONE)
        scheduled = datetime.combine(local.date(), self.at, tzinfo=TIMEZONE)
        if scheduled > local:
            scheduled = datetime.combine(local.date() - timedelta(days=1), self.at, tzinfo=TIMEZONE)
        return scheduled.date().isoformat(), scheduled


# --------------------------------------------------------------------------- job bodies


def letters_job(app: Flask, session: Session, now: datetime) -> dict[str, Any]:
    """The daily letters sweep for the local date of ``now``; commits per chunk of households."""
    today = now.astimezone(TIMEZONE).date()
    settings = LetterSettings.from_mapping(app.config)
    report = run_letters(
        session, today, settings=settings, actor=SystemActor("scheduler"), commit=session.commit
    )
    purged = purge_finished_households(
        session,
        today,
        settings.config,
        grace_months=int(app.config.get("LETTERS_RETENTION_GRACE_MONTHS", 1)),
        batch_months=int(app.config.get("LETTER_BATCH_RETENTION_MONTHS", 12)),
    )
    return {
        **report.as_dict(),
        "batch_ids": report.batch_ids,
        "erased_households": purged.households,
        "erased_batch_files": purged.batch_files,
    }


def proposals_job(app: Flask, session: Session, now: datetime) -> dict[str, Any]:
    """Nightly: recompute the match proposals, as many per newcomer as ``MATCH_TOP_K``."""
    settings = MatchSettings.from_config(app.config)
    result = recompute_proposals(session, now, top_k=settings.top_k, actor=SystemActor("scheduler"))
    return {"result": _plain(result)}


def weights_job(app: Flask, session: Session, now: datetime) -> dict[str, Any]:
    """Nightly, before proposals: learn the matcher's weights when there are new decisions."""
    settings = LearnSettings.from_config(app.config)
    return {"result": _plain(refit_weights(session, now, settings=settings))}


def hosts_resume_job(app: Flask, session: Session, now: datetime) -> dict[str, Any]:
    """Nightly, before proposals: hosts whose pause ended become active again."""
    return {"resumed": resume_due_hosts(session, now.astimezone(TIMEZONE).date())}


def follow_ups_job(app: Flask, session: Session, now: datetime) -> dict[str, Any]:
    """Daily: ask both sides how it went, a month after the introduction."""
    return {"queued": send_follow_ups(session, now)}


def retention_job(app: Flask, session: Session, now: datetime) -> dict[str, Any]:
    """Nightly: erase what the privacy notice keeps only for a while."""
    files = purge_old_files(
        now,
        batch_dir=Path(
            app.config.get("LETTER_BATCH_DIR") or Path(app.instance_path) / "letter_batches"
        ),
        batch_months=int(app.config["LETTER_BATCH_RETENTION_MONTHS"]),
    )
    return {"result": _plain(purge_expired(session, now)), "files": _plain(files)}


def mail_job(app: Flask, now: datetime) -> None:
    """Every minute: send what is due in the outbox (the sender claims rows and commits itself)."""
    with app.app_context():
        try:
            send_due_mail(db.session, now, config=app.config, stop=_stopping.is_set)
        except Exception:
            log.exception("mail job failed")
        finally:
            db.session.remove()


def _plain(value: Any) -> Any:
    """A job's result as JSON for ``job_runs.detail``."""
    if value is None or isinstance(value, int | float | str | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return str(value)


DAILY_JOBS: tuple[DailyJob, ...] = (
    DailyJob("hosts_resume", time(1, 30), hosts_resume_job, lease=timedelta(hours=1)),
    DailyJob("weights", time(1, 45), weights_job, lease=timedelta(hours=1)),
    DailyJob("proposals", time(2, 0), proposals_job, lease=timedelta(hours=1)),
    DailyJob("follow_ups", time(9, 0), follow_ups_job, lease=timedelta(hours=1)),
    DailyJob("retention", time(3, 0), retention_job, lease=timedelta(hours=1)),
    DailyJob("letters", time(6, 0), letters_job, lease=timedelta(hours=2)),
)


# --------------------------------------------------------------------------- running a job


def run_daily_job(
    app: Flask, job: DailyJob, now: datetime | None = None, *, period_key: str | None = None
) -> str:
    """Run ``job`` for its period unless another process has; returns what happened.

    ``"ran"``, ``"skipped"`` (done or being done elsewhere) or ``"failed"`` (logged; the row is
    marked failed so a later sweep retries).
    """
    now = now or datetime.now(UTC)
    key = period_key or job.period(now)[0]
    with app.app_context():
        session = db.session
        try:
            run = claim_job_run(session, job.name, key, now=now, lease=job.lease)
            if run is None:
                session.rollback()
                log.info("%s %s: done or running elsewhere, skipped", job.name, key)
                return "skipped"
            run_id = run.id
            session.commit()
            log.info("%s %s: started by %s", job.name, key, process_owner())
            try:
                detail = job.body(app, session, now)
            except Exception:
                session.rollback()
                log.exception("%s %s failed", job.name, key)
                finish_job_run(session, run_id, now=datetime.now(UTC), failed=True)
                session.commit()
                return "failed"
            finish_job_run(session, run_id, now=datetime.now(UTC), detail=_plain(detail))
            session.commit()
            log.info("%s %s: done %s", job.name, key, detail)
            return "ran"
        finally:
            session.remove()


def catch_up(app: Flask, now: datetime | None = None) -> dict[str, str]:
    """Run every daily job whose latest scheduled time has passed without a finished run."""
    now = now or datetime.now(UTC)
    return {job.name: run_daily_job(app, job, now) for job in DAILY_JOBS}


# --------------------------------------------------------------------------- the scheduler


def build_scheduler(app: Flask) -> Any:
    """The BlockingScheduler with every job (not started)."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler = BlockingScheduler(
        timezone=TIMEZONE,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    for job in DAILY_JOBS:
        scheduler.add_job(
            _timed(run_daily_job, app, job),
            CronTrigger(hour=job.at.hour, minute=job.at.minute, timezone=TIMEZONE),
            id=job.name,
            name=job.name,
            # Late after a suspend or a busy pool: still run, once.
            misfire_grace_time=6 * 3600,
            coalesce=True,
            max_instances=1,
        )
    scheduler.add_job(
        _timed(mail_job, app),
        IntervalTrigger(minutes=1, timezone=TIMEZONE),
        id="mail",
        name="mail",
        misfire_grace_time=50,
        coalesce=True,
        max_instances=1,
    )
    # Retries a failed daily job and runs one whose process died mid-way (after its lease).
    scheduler.add_job(
        _timed(catch_up, app),
        IntervalTrigger(hours=1, timezone=TIMEZONE),
        id="catch-up",
        name="catch-up",
    )
    return scheduler


def _timed(function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    """A job callable that reads the clock once, when APScheduler fires it."""

    def fire() -> Any:
        return function(*args, datetime.now(UTC))

    fire.__name__ = getattr(function, "__name__", "job")
    return fire


def run_scheduler(app: Flask) -> None:
    """Catch up on missed daily runs, then run the scheduler until SIGTERM or Ctrl-C."""
    scheduler = build_scheduler(app)

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping the scheduler", signum)
        _stopping.set()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler %s starting (Europe/Stockholm); catching up", process_owner())
    catch_up(app)
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
    log.info("scheduler %s stopped", process_owner())
