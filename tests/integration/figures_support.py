"""A half year of the programme with fixed dates, built through the real services, and the
figures it must give (the expected values are worked out by hand in the comments)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flask import Flask
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Host, HostStatus, Newcomer, NewcomerStatus
from avestavard.models.letters import LetterHousehold, Resident
from avestavard.models.matches import MatchFollowUp
from avestavard.services import matches as service
from avestavard.services.audit import SystemActor
from avestavard.services.letters import unsubscribe, unsubscribe_token
from tests.integration.letters_support import run as run_letters

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))
ACTOR = SystemActor("test")


def at(day: str, hour: int = 10) -> datetime:
    """A moment on a day (UTC, mid-morning in Sweden)."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=UTC)


def _host(name: str, created: str, capacity: int, status: HostStatus = HostStatus.ACTIVE) -> int:
    host = Host(
        name=name,
        email=f"{name.split()[0].lower()}@avesta.example",
        languages=["sv"],
        capacity=capacity,
        status=status,
        interviewed_on=date.fromisoformat(created),
        created_at=at(created),
        updated_at=at(created),
    )
    db.session.add(host)
    db.session.flush()
    return host.id


def _newcomer(name: str, registered: str, confirmed: str | None) -> int:
    newcomer = Newcomer(
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        languages=["sv"],
        status=NewcomerStatus.WAITING if confirmed else NewcomerStatus.UNCONFIRMED,
        registered_at=at(registered, 8),
        confirmed_at=at(confirmed, 9) if confirmed else None,
        letters_by_email=True,
    )
    db.session.add(newcomer)
    db.session.flush()
    return newcomer.id


def _household(number: int, moved_in: str, newcomer_id: int | None = None) -> None:
    household = LetterHousehold(
        household_key=f"household-{number}",
        street=f"Storgatan {number}",
        postcode="774 30",
        town="AVESTA",
        moved_in=date.fromisoformat(moved_in),
        newcomer_id=newcomer_id,
        is_linked_by_hand=newcomer_id is not None,
    )
    household.residents.append(
        Resident(
            person_key=f"person-{number}",
            first_name="Åsa",
            last_name=f"Öberg{number}",
            birth_date=date(1980, 1, number),
        )
    )
    db.session.add(household)


def build_history(app: Flask) -> dict[str, int]:
    """Hosts, newcomers, matches in every state, follow-up answers and three letter runs."""
    settings = service.MatchSettings.from_config(app.config)
    ids: dict[str, int] = {}
    with app.app_context():
        ids["hA"] = _host("Karin Berg", "2025-10-01", 2)  # before the period
        ids["hB"] = _host("Lars Ek", "2026-02-10", 1)
        ids["hC"] = _host("Maria Sten", "2026-03-05", 1, HostStatus.PAUSED)
        ids["hD"] = _host("Per Ås", "2026-05-02", 1)
        ids["n1"] = _newcomer("Amira Haddad", "2025-12-01", "2025-12-02")  # before the period
        ids["n2"] = _newcomer("Omar Ali", "2026-02-03", "2026-02-04")
        ids["n3"] = _newcomer("Sara Lind", "2026-02-10", "2026-02-11")
        ids["n4"] = _newcomer("Juan Pérez", "2026-02-17", "2026-02-18")
        ids["n5"] = _newcomer("Li Wei", "2026-03-01", "2026-03-02")
        ids["n6"] = _newcomer("Anna Nowak", "2026-04-10", None)  # never confirmed
        ids["n7"] = _newcomer("Eva Holm", "2026-05-05", "2026-05-06")
        ids["n8"] = _newcomer("Ali Hassan", "2026-06-20", "2026-06-21")
        for number in range(1, 6):
            _household(number, "2026-01-10")
        for number in range(6, 9):
            _household(number, "2026-04-01")
        _household(9, "2026-06-01", newcomer_id=ids["n8"])
        db.session.commit()

        def make(newcomer: str, host: str, day: str) -> int:
            match = service.assign_other_host(
                db.session, ACTOR, ids[newcomer], ids[host], now=at(day), settings=settings
            )
            db.session.commit()
            return match.id

        # m1: accepted two days after, met, ended; the newcomer leaves the programme.
        ids["m1"] = make("n1", "hA", "2026-01-12")
        service.host_accept(db.session, ACTOR, ids["m1"], now=at("2026-01-14"), settings=settings)
        service.mark_met(db.session, ACTOR, ids["m1"], now=at("2026-01-30"))
        db.session.commit()
        # m2: declined after three days; the newcomer waits again and gets m3 with Karin.
        ids["m2"] = make("n2", "hB", "2026-02-20")
        service.host_decline(db.session, ACTOR, ids["m2"], "Bortrest", now=at("2026-02-23"))
        db.session.commit()
        ids["m3"] = make("n2", "hA", "2026-03-10")
        service.host_accept(db.session, ACTOR, ids["m3"], now=at("2026-03-12"), settings=settings)
        service.mark_met(db.session, ACTOR, ids["m3"], now=at("2026-04-02"))
        db.session.commit()
        # follow-up of m1: the host answers fit 4, the newcomer fit 5
        service.send_follow_ups(db.session, at("2026-02-20"), settings)
        db.session.commit()
        for side_fit, day in ((4, "2026-02-22"), (5, "2026-02-25")):
            follow_up = db.session.scalars(
                select(MatchFollowUp).where(
                    MatchFollowUp.match_id == ids["m1"], MatchFollowUp.answered_at.is_(None)
                )
            ).first()
            assert follow_up is not None
            token = service.follow_up_token(settings, follow_up)
            service.record_follow_up_answer(
                db.session, token, met=True, fit=side_fit, now=at(day), settings=settings
            )
            db.session.commit()
        # m4: accepted after five days, introduced (the newcomer has an email)
        ids["m4"] = make("n3", "hD", "2026-05-10")
        service.host_accept(db.session, ACTOR, ids["m4"], now=at("2026-05-15"), settings=settings)
        db.session.commit()
        service.end_match(db.session, ACTOR, ids["m1"], "Flyttade", now=at("2026-06-01"))
        db.session.commit()
        # m5: the host has been asked and has not answered
        ids["m5"] = make("n4", "hA", "2026-06-05")
    # three letter runs: 5 stage-1 letters, then 5 stage-2 and 3 stage-1, then 1 by email
    run_letters(app, date(2026, 1, 20))
    run_letters(app, date(2026, 4, 20))
    with app.app_context():
        household = db.session.scalar(
            select(LetterHousehold).where(LetterHousehold.household_key == "household-1")
        )
        assert household is not None
        token = unsubscribe_token(app.config["SECRET_KEY"], household.id)
        unsubscribe(db.session, app.config["SECRET_KEY"], token, at("2026-05-01"))
        db.session.commit()
    run_letters(app, date(2026, 6, 10))
    return ids


# What the figures of PERIOD must be (the JSON report).
EXPECTED: dict[str, Any] = {
    "period": {"from": "2026-01-01", "to": "2026-06-30"},
    "hosts": {"active": 3, "paused": 1, "free_places": 1, "new": 3, "interviews": 3},
    "newcomers": {
        "registered": 7,
        "confirmed": 6,
        # Li Wei since 2 March (120 days), Eva Holm since 6 May (55), Ali Hassan since 21 June (9)
        "waiting": 3,
        "paused": 0,
        "median_wait_days": 55,
        "longest_wait_days": 120,
        "unconfirmed": 1,
    },
    "matches": {
        "approved": 5,
        "accepted": 3,
        "declined": 1,
        "median_answer_days": 2.5,  # 2, 2, 3, 5 days
        "introduced": 3,
        "met": 2,
        "ended": 1,
        "by_state": {
            "approved": 0,
            "host_notified": 1,
            "accepted": 0,
            "declined": 1,
            "introduced": 1,
            "met": 1,
            "ended": 1,
        },
        "active": 3,
    },
    "follow_up": {
        "ratings": 2,
        "mean_rating": 4.5,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
    },
    "letters": {
        "created": 14,
        "by_stage": {"1": 9, "2": 5, "3": 0},
        "by_channel": {"email": 1, "print": 13},
        "unsubscribed": 1,
    },
    "mail_failures": 0,
    "funnel": [
        {"step": "registered", "count": 7, "share": 100.0},
        {"step": "confirmed", "count": 6, "share": 85.7},
        {"step": "matched", "count": 5, "share": 71.4},
        {"step": "met", "count": 2, "share": 28.6},
    ],
}
# month, registered, approved, met, letters, letters by stage, wait median and 90th percentile
# (days from waiting to matched: Jan 41; Feb 16; Mar 34; May 88; Jun 107)
EXPECTED_MONTHS = [
    ("2026-01", 0, 1, 1, 5, {"1": 5, "2": 0, "3": 0}, 41, 41),
    ("2026-02", 3, 1, 0, 0, {"1": 0, "2": 0, "3": 0}, 16, 16),
    ("2026-03", 1, 1, 0, 0, {"1": 0, "2": 0, "3": 0}, 34, 34),
    ("2026-04", 1, 0, 1, 8, {"1": 3, "2": 5, "3": 0}, None, None),
    ("2026-05", 1, 1, 0, 0, {"1": 0, "2": 0, "3": 0}, 88, 88),
    ("2026-06", 1, 1, 0, 1, {"1": 1, "2": 0, "3": 0}, 107, 107),
]
