"""Retention: erase what the privacy notice says we keep only for a while.

- registrations never confirmed, RETENTION_MONTHS_UNCONFIRMED after the (latest) registration;
- newcomers who left the programme (closed) and hosts who declined, RETENTION_MONTHS_INACTIVE
  after the record last changed;
- mail that is done with (sent, failed, cancelled), OUTBOX_RETENTION_DAYS after it was sent or
  queued: its body names people; before that, the tokens of its links once they are used or
  expired (set a password, answer, follow-up, confirm, sign in, "Min anmälan");
- an uploaded register extract or Excel database nobody confirmed, after UPLOAD_MAX_AGE_HOURS;
- the copies of letter batches (PDF and CSV) in the batch folder, LETTER_BATCH_RETENTION_MONTHS
  after their run (the database copy is purged by the letters job on the same schedule).

A sweep for the nightly job: it takes ``now`` and erasing twice finds nothing the second time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from avestavard.models import (
    AuditAction,
    Host,
    HostStatus,
    Newcomer,
    NewcomerStatus,
    OutboxMessage,
    OutboxStatus,
    PendingUpload,
    RegistrationConfirmation,
)
from avestavard.models.mail import OutboxAttempt
from avestavard.services import audit
from avestavard.services.audit import SystemActor
from avestavard.services.calendar_months import add_months
from avestavard.services.outbox import redact_stored_links
from avestavard.services.profiles import erase_person

RETENTION_ACTOR_LABEL = "retention"


@dataclass(frozen=True)
class PurgeSummary:
    """How many people :func:`purge_expired` erased, by reason."""

    unconfirmed_newcomers: int
    closed_newcomers: int
    declined_hosts: int
    expired_links: int
    old_mail: int = 0
    stale_uploads: int = 0
    redacted_mail: int = 0

    @property
    def total(self) -> int:
        """People erased (expired links are not people)."""
        return self.unconfirmed_newcomers + self.closed_newcomers + self.declined_hosts


def purge_expired(
    session: Session,
    now: datetime,
    *,
    unconfirmed_months: int | None = None,
    inactive_months: int | None = None,
    link_max_age_days: int | None = None,
    mail_days: int | None = None,
    upload_max_age: timedelta | None = None,
) -> PurgeSummary:
    """Erase the people whose retention period has ended (each erasure is audit-logged).

    The periods default to the app's RETENTION_MONTHS_UNCONFIRMED, RETENTION_MONTHS_INACTIVE,
    REGISTRATION_CONFIRM_DAYS (the life of a confirmation link), OUTBOX_RETENTION_DAYS and
    UPLOAD_MAX_AGE_HOURS.
    """
    config = current_app.config
    if unconfirmed_months is None:
        unconfirmed_months = int(config["RETENTION_MONTHS_UNCONFIRMED"])
    if inactive_months is None:
        inactive_months = int(config["RETENTION_MONTHS_INACTIVE"])
    if link_max_age_days is None:
        link_max_age_days = int(config.get("REGISTRATION_CONFIRM_DAYS", 14))
    if mail_days is None:
        mail_days = int(config["OUTBOX_RETENTION_DAYS"])
    if upload_max_age is None:
        upload_max_age = timedelta(hours=int(config["UPLOAD_MAX_AGE_HOURS"]))
    actor = SystemActor(RETENTION_ACTOR_LABEL)
    unconfirmed_before = add_months(now, -unconfirmed_months)
    inactive_before = add_months(now, -inactive_months)
    unconfirmed = session.scalars(
        select(Newcomer.id).where(
            Newcomer.status == NewcomerStatus.UNCONFIRMED,
            Newcomer.registered_at < unconfirmed_before,
        )
    ).all()
    # A newcomer who paused and never came back counts as inactive from the pause.
    closed = session.scalars(
        select(Newcomer.id).where(
            or_(
                and_(
                    Newcomer.status == NewcomerStatus.CLOSED,
                    Newcomer.updated_at < inactive_before,
                ),
                and_(
                    Newcomer.status == NewcomerStatus.PAUSED,
                    Newcomer.paused_at < inactive_before,
                ),
            )
        )
    ).all()
    declined = session.scalars(
        select(Host.id).where(Host.status == HostStatus.DECLINED, Host.updated_at < inactive_before)
    ).all()
    for newcomer_id in [*unconfirmed, *closed]:
        erase_person(session, actor, "newcomer", newcomer_id)
    for host_id in declined:
        erase_person(session, actor, "host", host_id)
    # Links for changes that were never confirmed: the changes themselves are personal data.
    links = session.execute(
        delete(RegistrationConfirmation).where(
            RegistrationConfirmation.created_at < now - timedelta(days=link_max_age_days)
        )
    )
    expired_links = int(getattr(links, "rowcount", 0) or 0)
    old_mail = _purge_old_mail(session, now - timedelta(days=mail_days))
    redacted_mail = redact_stored_links(session, now=now, config=config)
    uploads = session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < now - upload_max_age)
    )
    summary = PurgeSummary(
        len(unconfirmed),
        len(closed),
        len(declined),
        expired_links,
        old_mail=old_mail,
        stale_uploads=int(getattr(uploads, "rowcount", 0) or 0),
        redacted_mail=redacted_mail,
    )
    if summary.total or expired_links or summary.old_mail or summary.stale_uploads:
        audit.record(session, actor, AuditAction.RETENTION_PURGE)
    session.flush()
    return summary


# Mail that will never be sent (again) on its own.
_DONE = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.UNKNOWN)


def _purge_old_mail(session: Session, before: datetime) -> int:
    """Delete finished mail sent (or, never sent, queued) before ``before``; with its attempts."""
    old = select(OutboxMessage.id).where(
        OutboxMessage.status.in_(_DONE),
        func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < before,
    )
    ids = list(session.scalars(old))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(OutboxAttempt).where(OutboxAttempt.message_id.in_(chunk)))
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(chunk)))
    return len(ids)


# valkomstbrev-2026-11-28-17.pdf: the batch's run date is in the name.
_BATCH_FILE = re.compile(r"^valkomstbrev-(\d{4}-\d{2}-\d{2})-\d+\.(?:pdf|csv)$")


@dataclass(frozen=True)
class FilePurge:
    """How many files :func:`purge_old_files` deleted."""

    batch_files: int


def purge_old_files(
    now: datetime,
    *,
    batch_dir: Path,
    batch_months: int,
) -> FilePurge:
    """Delete batch copies whose run is older than ``batch_months``. A sweep: a missing
    folder is nothing to do."""
    cutoff = add_months(now, -batch_months).date()
    batch_files = 0
    if batch_dir.is_dir():
        for path in batch_dir.iterdir():
            found = _BATCH_FILE.match(path.name)
            if found and date.fromisoformat(found[1]) < cutoff and path.is_file():
                path.unlink(missing_ok=True)
                batch_files += 1
    return FilePurge(batch_files=batch_files)
