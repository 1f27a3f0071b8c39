"""Runs of the scheduled jobs: one row per job and period, so a period's work is done once.

The unique key makes two scheduler processes started by mistake, or a coordinator's "run now"
racing the scheduler, run a job once per period: the second one's insert fails and it skips.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from avestavard.models.base import Base, UTCDateTime, utcnow


class JobRunStatus(enum.StrEnum):
    """State of one run of a scheduled job."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRun(Base):
    """One run of a scheduled job for one period (e.g. ``letters`` on ``2026-11-28``).

    The unique key makes two scheduler processes started by mistake run a job once per period:
    the second one's insert fails and it skips.
    """

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job_name", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(60))
    period_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[JobRunStatus] = mapped_column(
        Enum(
            JobRunStatus,
            name="job_run_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=JobRunStatus.RUNNING,
    )
    owner: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<JobRun {self.job_name} {self.period_key} {self.status}>"
