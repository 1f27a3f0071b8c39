"""One run per job and period, even with two scheduler processes: the ``job_runs`` claim.

A job claims ``(job name, period key)`` by inserting a row, and commits the claim before it
starts working. The unique key means a second process's insert does nothing and that process
skips the period. A claim whose process died (still ``running`` after its lease) or a run that
failed may be taken over, with a compare-and-swap update so that only one taker wins.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from avestavard.models.base import conflict_insert
from avestavard.models.jobs import JobRun, JobRunStatus


def process_owner() -> str:
    """Who holds a claim: host name and process id, for the logs and the job_runs table."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def claim_job_run(
    session: Session,
    job_name: str,
    period_key: str,
    *,
    now: datetime,
    lease: timedelta,
    owner: str | None = None,
) -> JobRun | None:
    """Claim the run of ``job_name`` for ``period_key``; None if it is done or being done.

    Flushes; the caller commits the claim before doing the work, so that other processes see it.
    """
    owner = owner or process_owner()
    inserted = session.execute(
        conflict_insert(session, JobRun)
        .values(
            job_name=job_name,
            period_key=period_key,
            status=JobRunStatus.RUNNING.value,
            owner=owner,
            started_at=now,
            detail={},
        )
        .on_conflict_do_nothing(index_elements=["job_name", "period_key"])
        .returning(JobRun.id)
    ).scalar_one_or_none()
    if inserted is not None:
        return session.get(JobRun, inserted)

    existing = session.scalars(
        select(JobRun).where(JobRun.job_name == job_name, JobRun.period_key == period_key)
    ).one()
    if existing.status is JobRunStatus.DONE:
        return None
    if existing.status is JobRunStatus.RUNNING and existing.started_at > now - lease:
        return None
    # Failed, or claimed by a process that died: take it over unless someone else just did.
    result = session.execute(
        update(JobRun)
        .where(
            JobRun.id == existing.id,
            JobRun.status == existing.status,
            JobRun.started_at == existing.started_at,
        )
        .values(status=JobRunStatus.RUNNING, owner=owner, started_at=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    if not cast(Any, result).rowcount:
        return None
    session.expire(existing)
    return existing


def finish_job_run(
    session: Session,
    run_id: int,
    *,
    now: datetime,
    detail: dict[str, Any] | None = None,
    failed: bool = False,
) -> None:
    """Mark a claimed run done (or failed, so a later sweep retries it). Flushes."""
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            status=JobRunStatus.FAILED if failed else JobRunStatus.DONE,
            finished_at=now,
            detail=detail or {},
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()


def recorded_run(session: Session, job_name: str, period_key: str) -> JobRun | None:
    """The run of ``job_name`` for ``period_key`` if one was claimed (done, running or failed)."""
    return session.scalar(
        select(JobRun).where(JobRun.job_name == job_name, JobRun.period_key == period_key)
    )
