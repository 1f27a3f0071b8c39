"""A coordinator runs the day's letters from the page: it claims the day's job_runs row as the
scheduler does, so whoever runs first makes the day's one batch and the other skips."""

from __future__ import annotations

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.jobs.scheduler import DAILY_JOBS, TIMEZONE, run_daily_job
from avestavard.models import utcnow
from avestavard.models.jobs import JobRun, JobRunStatus
from tests.conftest import csrf_token_from

LETTERS_JOB = next(job for job in DAILY_JOBS if job.name == "letters")


def test_run_now_claims_the_day_like_the_scheduler(app, coordinator_client):
    page = coordinator_client.get("/coordinator/letters/run")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="run-due"' in html and "Skapa dagens brev nu" in html
    with app.app_context():
        assert db.session.scalars(select(JobRun)).all() == []  # the preview wrote nothing
    token = csrf_token_from(html)
    response = coordinator_client.post("/coordinator/letters/run", data={"csrf_token": token})
    assert response.status_code == 302
    listing = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dagens brev är skapade." in listing
    today = utcnow().astimezone(TIMEZONE).date().isoformat()
    with app.app_context():
        [run] = db.session.scalars(select(JobRun)).all()
        assert (run.job_name, run.period_key, run.status) == ("letters", today, JobRunStatus.DONE)
    # The scheduler later the same day finds the day done; a second click does nothing either.
    assert run_daily_job(app, LETTERS_JOB, utcnow(), period_key=today) == "skipped"
    again = coordinator_client.post("/coordinator/letters/run", data={"csrf_token": token})
    listing = coordinator_client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Dagens brev är redan skapade" in listing
    assert 'id="run-done"' in coordinator_client.get("/coordinator/letters/run").get_data(
        as_text=True
    )
