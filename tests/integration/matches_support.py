"""Helpers for the match tests: people in the database, the outbox delivered to a real SMTP
server, and the links found in the emails that arrived there."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import (
    Host,
    HostStatus,
    HouseholdType,
    Newcomer,
    NewcomerStatus,
    OutboxMessage,
    Role,
    User,
)
from avestavard.models.matches import Match, MatchProposal
from avestavard.services.audit import SystemActor
from avestavard.services.mail_sender import SendReport, send_due_mail
from avestavard.services.matches import MatchSettings, recompute_proposals

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LINK = re.compile(r"https?://\S+/matchning/(?:svar|uppfoljning)/[A-Za-z0-9._\-]+(?:\?lang=\w+)?")


def add_host(
    app: Flask,
    name: str = "Karin Berg",
    *,
    email: str | None = "karin.berg@avesta.example",
    phone: str | None = "+46701234567",
    languages: tuple[str, ...] = ("sv", "en"),
    interests: tuple[str, ...] = ("fiske", "bandy", "körsång"),
    area: str = "Krylbo",
    household: HouseholdType = HouseholdType.FAMILY,
    capacity: int = 1,
    status: HostStatus = HostStatus.ACTIVE,
    preferred_language: str = "sv",
    user_email: str | None = None,
) -> int:
    """Create and commit a host; with ``user_email`` the host gets a login linked to it."""
    with app.app_context():
        user = None
        if user_email is not None:
            user = db.session.scalar(select(User).where(User.email == user_email))
            assert user is not None and user.role == Role.HOST
        host = Host(
            name=name,
            email=email,
            phone=phone,
            birth_year=1970,
            area=area,
            household=household,
            languages=list(languages),
            interests_raw=list(interests),
            past="Jag har jobbat på bruket i trettio år.",
            present=f"Jag bor i {area} med familjen.",
            future="Jag vill visa nya Avestabor runt.",
            thoughts="Gärna en familj.",
            capacity=capacity,
            status=status,
            preferred_language=preferred_language,
            user=user,
        )
        db.session.add(host)
        db.session.commit()
        return host.id


def add_newcomer(
    app: Flask,
    name: str = "Amira Haddad",
    *,
    email: str | None = "amira.haddad@example.org",
    phone: str | None = "+46709876543",
    languages: tuple[str, ...] = ("ar", "en", "sv"),
    interests: tuple[str, ...] = ("fiske", "bandy", "matlagning"),
    area: str = "Krylbo",
    household: HouseholdType = HouseholdType.FAMILY,
    status: NewcomerStatus = NewcomerStatus.WAITING,
    waiting_days: int = 10,
    preferred_language: str = "sv",
) -> int:
    """Create and commit a confirmed newcomer who waits for a host."""
    with app.app_context():
        confirmed = NOW - timedelta(days=waiting_days)
        newcomer = Newcomer(
            name=name,
            email=email,
            phone=phone,
            area=area,
            household=household,
            birth_year=1988,
            languages=list(languages),
            interests_raw=list(interests),
            past="Jag arbetade som apotekstekniker i Damaskus.",
            present="Jag lär mig svenska.",
            future="Jag vill hitta vänner.",
            wishes="Gärna en familj med barn.",
            preferred_language=preferred_language,
            status=status,
            registered_at=confirmed - timedelta(hours=2),
            confirmed_at=confirmed if status != NewcomerStatus.UNCONFIRMED else None,
            privacy_notice_version="2026-11-01",
        )
        db.session.add(newcomer)
        db.session.commit()
        return newcomer.id


def settings(app: Flask) -> MatchSettings:
    """The match settings of ``app``."""
    return MatchSettings.from_config(app.config)


def recompute(app: Flask, now: datetime = NOW) -> None:
    """Recompute the proposals and commit, as the button and the nightly job do."""
    with app.app_context():
        recompute_proposals(db.session, now)
        db.session.commit()


def open_proposal(app: Flask, newcomer_id: int, host_id: int) -> int:
    """The id of the stored proposal for the pair (fails if the matcher did not propose it)."""
    with app.app_context():
        proposal_id = db.session.scalar(
            select(MatchProposal.id).where(
                MatchProposal.newcomer_id == newcomer_id, MatchProposal.host_id == host_id
            )
        )
        assert proposal_id is not None, "the matcher did not propose this pair"
        return proposal_id


def the_match(app: Flask, newcomer_id: int) -> Match:
    """The newest match of a newcomer, detached with its timestamps loaded."""
    with app.app_context():
        match = db.session.scalars(
            select(Match).where(Match.newcomer_id == newcomer_id).order_by(Match.id.desc())
        ).first()
        assert match is not None
        db.session.expunge(match)
        return match


def outbox(app: Flask) -> list[OutboxMessage]:
    """Every outbox row, oldest first (detached)."""
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def deliver(app: Flask, smtp: Any, now: datetime | None = None) -> SendReport:
    """Run the outbox sender once against the test's SMTP server."""
    config = {**app.config, "SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port}
    with app.app_context():
        return send_due_mail(db.engine, now or datetime.now(UTC), config=config)


def body_text(message: EmailMessage) -> str:
    """The plain-text part of a received email."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def body_html(message: EmailMessage) -> str:
    """The HTML part of a received email."""
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def links_in(message: EmailMessage) -> list[str]:
    """The match links in an email's plain text, in order."""
    return LINK.findall(body_text(message))


def to_path(url: str) -> str:
    """A link from an email as a path for the test client (the base URL is the test's)."""
    return re.sub(r"^https?://[^/]+", "", url)


def system() -> SystemActor:
    """The actor of jobs and commands."""
    return SystemActor("test")
