"""Retention: registrations never confirmed and people who left are erased in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import (
    AuditEvent,
    Host,
    HostStatus,
    Newcomer,
    NewcomerStatus,
    RegistrationConfirmation,
)
from avestavard.services.retention import purge_expired

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


def add_newcomer(
    name: str, status: NewcomerStatus, *, registered: datetime, updated: datetime
) -> int:
    newcomer = Newcomer(
        name=name,
        email=f"{name.lower()}@example.org",
        status=status,
        registered_at=registered,
        updated_at=updated,
    )
    db.session.add(newcomer)
    db.session.flush()
    return newcomer.id


def add_host(name: str, status: HostStatus, *, updated: datetime) -> int:
    host = Host(name=name, status=status, updated_at=updated)
    db.session.add(host)
    db.session.flush()
    return host.id


def names(model: Any) -> set[str]:
    return set(db.session.scalars(select(model.name)))


def test_purge_erases_only_what_is_due(app):
    with app.app_context():
        long_ago = NOW - timedelta(days=800)
        add_newcomer(
            "Old", NewcomerStatus.UNCONFIRMED, registered=NOW - timedelta(days=95), updated=NOW
        )
        add_newcomer(
            "Recent", NewcomerStatus.UNCONFIRMED, registered=NOW - timedelta(days=80), updated=NOW
        )
        add_newcomer(
            "Left", NewcomerStatus.CLOSED, registered=long_ago, updated=NOW - timedelta(days=740)
        )
        add_newcomer(
            "LeftLately",
            NewcomerStatus.CLOSED,
            registered=long_ago,
            updated=NOW - timedelta(days=700),
        )
        add_newcomer("Waiting", NewcomerStatus.WAITING, registered=long_ago, updated=long_ago)
        add_host("Declined", HostStatus.DECLINED, updated=NOW - timedelta(days=740))
        add_host("DeclinedLately", HostStatus.DECLINED, updated=NOW - timedelta(days=30))
        add_host("Paused", HostStatus.PAUSED, updated=long_ago)
        recent_id = db.session.scalar(select(Newcomer.id).where(Newcomer.name == "Recent"))
        db.session.add_all(
            [
                RegistrationConfirmation(
                    newcomer_id=recent_id, nonce="old-link", created_at=NOW - timedelta(days=20)
                ),
            ]
        )
        db.session.commit()

        summary = purge_expired(db.session, NOW)
        db.session.commit()
        assert (
            summary.unconfirmed_newcomers,
            summary.closed_newcomers,
            summary.declined_hosts,
        ) == (
            1,
            1,
            1,
        )
        assert summary.expired_links == 1
        assert names(Newcomer) == {"Recent", "LeftLately", "Waiting"}
        assert names(Host) == {"DeclinedLately", "Paused"}
        erased = db.session.execute(
            select(AuditEvent.actor_label, AuditEvent.subject_type).where(
                AuditEvent.action == "erase"
            )
        ).all()
        assert sorted(erased) == [
            ("retention", "host"),
            ("retention", "newcomer"),
            ("retention", "newcomer"),
        ]
        # safe to run again: nothing more is due
        again = purge_expired(db.session, NOW)
        assert again.total == 0 and again.expired_links == 0


def test_periods_come_from_configuration(app):
    app.config["RETENTION_MONTHS_UNCONFIRMED"] = 1
    with app.app_context():
        add_newcomer(
            "Month", NewcomerStatus.UNCONFIRMED, registered=NOW - timedelta(days=40), updated=NOW
        )
        db.session.commit()
        assert purge_expired(db.session, NOW).unconfirmed_newcomers == 1
