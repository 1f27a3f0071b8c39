"""The scheduler: each daily job once per period, even with two processes; missed runs caught up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from avestavard.extensions import db
from avestavard.jobs.scheduler import (
    DAILY_JOBS,
    TIMEZONE,
    DailyJob,
    build_scheduler,
    catch_up,
    run_daily_job,
)
from avestavard.models.jobs import JobRun, JobRunStatus
from avestavard.models.letters import Letter, LetterBatch
from tests.integration.letters_support import generate_extract, import_bytes, import_sample
from tests.paths import REPO_ROOT

LETTERS = next(job for job in DAILY_JOBS if job.name == "letters")
# 07:00 in Avesta on the sample's day (UTC+1 in November): after the 06:00 letters run.
MORNING = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def _count(app: Flask, model: type[Any], *where: Any) -> int:
    with app.app_context():
        return int(
            db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
        )


def test_period_is_the_local_date_of_the_latest_scheduled_run() -> None:
    # 05:59 in Stockholm is before the day's 06:00 run: the period is still yesterday's.
    assert LETTERS.period(datetime(2026, 11, 28, 4, 59, tzinfo=UTC))[0] == "2026-11-27"
    assert LETTERS.period(datetime(2026, 11, 28, 5, 0, tzinfo=UTC))[0] == "2026-11-28"
    # Summer time (UTC+2): 06:00 local is 04:00 UTC.
    assert LETTERS.period(datetime(2026, 7, 1, 3, 59, tzinfo=UTC))[0] == "2026-06-30"
    assert LETTERS.period(datetime(2026, 7, 1, 4, 0, tzinfo=UTC))[0] == "2026-07-01"
    # The night summer time starts (29 March 2026): 06:00 CEST is 04:00 UTC.
    key, scheduled = LETTERS.period(datetime(2026, 3, 29, 4, 30, tzinfo=UTC))
    assert key == "2026-03-29" and scheduled.utcoffset() == timedelta(hours=2)


def test_scheduler_has_the_jobs_in_stockholm_time(app: Flask) -> None:
    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "letters",
        "hosts_resume",
        "weights",
        "proposals",
        "follow_ups",
        "retention",
        "mail",
        "catch-up",
    }
    assert str(scheduler.timezone) == "Europe/Stockholm"
    assert str(jobs["letters"].trigger) == "cron[hour='6', minute='0']"
    assert jobs["mail"].trigger.interval == timedelta(minutes=1)
    assert jobs["letters"].coalesce is True and jobs["letters"].misfire_grace_time == 6 * 3600
    # paused hosts come back before the nightly proposals are computed
    assert str(jobs["hosts_resume"].trigger) == "cron[hour='1', minute='30']"
    assert str(jobs["proposals"].trigger) == "cron[hour='2', minute='0']"
    # the weights are learned again before the proposals use them
    assert str(jobs["weights"].trigger) == "cron[hour='1', minute='45']"


def test_nightly_jobs_resume_hosts_and_send_follow_ups(app: Flask) -> None:
    from avestavard.models import Host, HostStatus

    with app.app_context():
        host = Host(name="Paula Paus", status=HostStatus.PAUSED, paused_until=date(2026, 11, 27))
        db.session.add(host)
        db.session.commit()
        host_id = host.id
    jobs = {job.name: job for job in DAILY_JOBS}
    night = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 02:00 in Stockholm
    assert run_daily_job(app, jobs["hosts_resume"], night) == "ran"
    assert run_daily_job(app, jobs["hosts_resume"], night) == "skipped"
    assert run_daily_job(app, jobs["follow_ups"], datetime(2026, 11, 28, 9, 0, tzinfo=UTC)) == "ran"
    with app.app_context():
        assert db.session.get(Host, host_id).status == HostStatus.ACTIVE


def test_two_threads_with_their_own_sessions_make_one_batch(app: Flask) -> None:
    import_sample(app)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        start.wait()
        outcomes.append(run_daily_job(app, LETTERS, MORNING))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(outcomes) == ["ran", "skipped"]
    assert _count(app, LetterBatch) == 1
    assert _count(app, Letter) == 115
    with app.app_context():
        row = db.session.scalars(sa.select(JobRun)).one()
        assert (row.job_name, row.period_key, row.status) == (
            "letters",
            "2026-11-28",
            JobRunStatus.DONE,
        )
        assert row.detail["created"] == 115
    # The same period again (a restart, the hourly catch-up): nothing.
    assert run_daily_job(app, LETTERS, MORNING + timedelta(hours=3)) == "skipped"


def _scheduler_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AVESTAVARD_CONFIG": "testing",
        "AVESTAVARD_DATABASE_URL": database_url,
        "AVESTAVARD_LETTER_BATCH_DIR": str(tmp_path / "batches"),
    }


AVESTAVARD = str(Path(sys.executable).with_name("avestavard"))


def test_two_catch_up_processes_make_one_batch(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    import_sample(app)
    env = _scheduler_env(database_url, tmp_path)
    command = [AVESTAVARD, "scheduler", "--catch-up-only", "--now", MORNING.isoformat()]
    processes = [
        subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    results = [process.communicate(timeout=300) for process in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()
    outcomes = [json.loads(out.decode().strip().splitlines()[-1]) for out, _err in results]
    assert sorted(o["letters"] for o in outcomes) == ["ran", "skipped"]
    assert _count(app, LetterBatch) == 1
    assert _count(app, Letter) == 115
    assert _count(app, JobRun, JobRun.job_name == "letters") == 1


@pytest.mark.slow
def test_two_scheduler_processes_catch_up_once_and_stop_on_sigterm(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    # The real scheduler reads the real clock: the households are due on today's date.
    today = datetime.now(UTC).astimezone(TIMEZONE).date()
    import_bytes(app, generate_extract(40, today=today, seed=3), today=today)
    env = _scheduler_env(database_url, tmp_path)
    logs = [tmp_path / f"scheduler-{i}.log" for i in range(2)]
    processes = []
    for log_path in logs:
        with log_path.open("wb") as log_file:
            processes.append(
                subprocess.Popen(
                    [AVESTAVARD, "scheduler"],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        deadline = clock.monotonic() + 180
        while clock.monotonic() < deadline:
            with app.app_context():
                done = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(JobRun)
                    .where(JobRun.job_name == "letters", JobRun.status == JobRunStatus.DONE)
                )
                db.session.remove()
            if done and all("catching up" in p.read_text() for p in logs):
                break
            clock.sleep(0.2)
        # both started and survived the catch-up; both are now waiting for their next job
        clock.sleep(1)
        assert [p.poll() for p in processes] == [None, None], [p.read_text() for p in logs]
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=60) for process in processes]
    assert codes == [0, 0], [p.read_text() for p in logs]
    assert all("stopped" in p.read_text() for p in logs)
    assert _count(app, LetterBatch) == 1
    assert _count(app, Letter) == 40
    assert _count(app, JobRun, JobRun.job_name == "letters") == 1


def test_missed_days_are_caught_up_on_start(app: Flask) -> None:
    import_sample(app)
    # The scheduler was down on the 28th; started on the 29th at 05:00 local, before that
    # day's run: the 28th's run is done now, for the 29th's date.
    started = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
    assert catch_up(app, started)["letters"] == "ran"
    with app.app_context():
        row = db.session.scalars(sa.select(JobRun).where(JobRun.job_name == "letters")).one()
        assert row.period_key == "2026-11-28"
        assert {x.run_date for x in db.session.scalars(sa.select(Letter))} == {date(2026, 11, 29)}
    assert catch_up(app, started + timedelta(minutes=5))["letters"] == "skipped"
    # At 06:00 on the 29th the day's own run finds nothing new: no second batch that day.
    assert run_daily_job(app, LETTERS, datetime(2026, 11, 29, 5, 0, tzinfo=UTC)) == "ran"
    assert _count(app, LetterBatch) == 1


def _body(outcomes: list[str], *, fail: bool = False) -> Any:
    def body(_app: Flask, session: Session, now: datetime) -> dict[str, Any]:
        outcomes.append(now.isoformat())
        if fail:
            raise RuntimeError("boom")
        return {"ok": True}

    return body


def test_failed_run_is_retried_and_a_dead_claim_taken_over(app: Flask) -> None:
    calls: list[str] = []
    failing = DailyJob("test-job", time(3, 0), _body(calls, fail=True))
    assert run_daily_job(app, failing, MORNING) == "failed"
    with app.app_context():
        row = db.session.scalars(sa.select(JobRun)).one()
        assert row.status is JobRunStatus.FAILED
    working = DailyJob("test-job", time(3, 0), _body(calls))
    assert run_daily_job(app, working, MORNING + timedelta(hours=1)) == "ran"
    assert run_daily_job(app, working, MORNING + timedelta(hours=2)) == "skipped"
    assert len(calls) == 2

    # A claim whose process died stays "running": others wait for its lease, then take over.
    with app.app_context():
        db.session.add(
            JobRun(
                job_name="test-job",
                period_key="2026-11-29",
                owner="dead-host:1",
                started_at=datetime(2026, 11, 29, 2, 5, tzinfo=UTC),
            )
        )
        db.session.commit()
    next_day = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    assert run_daily_job(app, working, next_day) == "skipped"  # within the 2-hour lease
    assert run_daily_job(app, working, next_day + timedelta(hours=2)) == "ran"
    with app.app_context():
        row = db.session.scalars(sa.select(JobRun).where(JobRun.period_key == "2026-11-29")).one()
        assert row.status is JobRunStatus.DONE and row.owner != "dead-host:1"


@pytest.mark.parametrize("top_k", [1, 3])
def test_nightly_proposals_offer_as_many_hosts_as_configured(app: Flask, top_k: int) -> None:
    from avestavard.models.matches import MatchProposal
    from tests.integration.matches_support import add_host, add_newcomer

    for number in range(4):
        add_host(app, f"Värd {number}", email=f"vard{number}@avesta.example", phone=None)
    newcomer_id = add_newcomer(app)
    app.config["MATCH_TOP_K"] = top_k
    jobs = {job.name: job for job in DAILY_JOBS}
    assert run_daily_job(app, jobs["proposals"], datetime(2026, 11, 28, 1, 0, tzinfo=UTC)) == "ran"
    assert _count(app, MatchProposal, MatchProposal.newcomer_id == newcomer_id) == top_k


def test_app_factory_never_starts_the_scheduler() -> None:
    code = (
        "import sys, threading\n"
        "from avestavard import create_app\n"
        "app = create_app('testing')\n"
        "app.test_client().get('/')\n"
        "print(any(m.startswith('apscheduler.schedulers') for m in sys.modules),"
        " threading.active_count())\n"
    )
    env = {**os.environ, "AVESTAVARD_DATABASE_URL": "sqlite://"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, timeout=120
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().split() == ["False", "1"]
