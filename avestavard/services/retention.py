"""Retention: erase what the privacy notice says we keep only for a while.

- registrations never confirmed, RETENTION_MONTHS_UNCONFIRMED after the (latest) registration;
- newcomers who left the programme (closed) and hosts who declined, RETENTION_MONTHS_INACTIVE
  after the record last changed.

A sweep for the nightly job: it takes ``now`` and erasing twice finds nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from avestavard.models import (
    AuditAction,
    Host,
    HostStatus,
    Newcomer,
    NewcomerStatus,
    RegistrationConfirmation,
)
from avestavard.services import audit
from avestavard.services.audit import SystemActor
from avestavard.services.calendar_months import add_months
from avestavard.services.profiles import erase_person

RETENTION_ACTOR_LABEL = "retention"


@dataclass(frozen=True)
class PurgeSummary:
    """How many people :func:`purge_expired` erased, by reason."""

    unconfirmed_newcomers: int
    closed_newcomers: int
    declined_hosts: int
    expired_links: int

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
) -> PurgeSummary:
    """Erase the people whose retention period has ended (each erasure is audit-logged).

    The periods default to the app's RETENTION_MONTHS_UNCONFIRMED, RETENTION_MONTHS_INACTIVE
    and REGISTRATION_CONFIRM_DAYS (the life of a confirmation link).
    """
    config = current_app.config
    if unconfirmed_months is None:
        unconfirmed_months = int(config["RETENTION_MONTHS_UNCONFIRMED"])
    if inactive_months is None:
        inactive_months = int(config["RETENTION_MONTHS_INACTIVE"])
    if link_max_age_days is None:
        link_max_age_days = int(config.get("REGISTRATION_CONFIRM_DAYS", 14))
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
    summary = PurgeSummary(len(unconfirmed), len(closed), len(declined), expired_links)
    if summary.total or expired_links:
        audit.record(session, actor, AuditAction.RETENTION_PURGE)
    session.flush()
    return summary
