"""People for the Matchningens ord tests: hosts and a newcomer who wrote a local club's name,
an event the matcher only guesses, and words it reads or must never list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Host, HostStatus, HouseholdType, Newcomer, NewcomerStatus
from avestavard.services.profiles import set_interests
from avestavard.services.reading import matcher_normalizer

CONFIRMED = datetime(2026, 11, 1, tzinfo=UTC)
WORDS = {
    "lena": ["Krylbo IF", "svampplockning"],
    "olle": ["stickning", "svampplockning", "Moderaterna", "Moderaterna Jularbodagarna"],
    "siv": ["Jularbodagarna", "Krylbo IF"],
    "pia": ["Krylbo"],
    "amir": ["krylbo if", "Jularbodagarna"],
}


def add_people(app: Flask) -> dict[str, int]:
    """The people of ``WORDS``, stored through the profiles' own rule; their ids."""
    with app.app_context():
        people: dict[str, Any] = {
            "lena": Host(name="Lena Berg"),
            "olle": Host(name="Olle Ek"),
            "siv": Host(name="Siv Al"),
            "pia": Host(name="Pia Ros"),
            "amir": Newcomer(
                name="Amir Said",
                status=NewcomerStatus.WAITING,
                registered_at=CONFIRMED,
                confirmed_at=CONFIRMED,
                privacy_notice_version="2026-11-01",
            ),
        }
        for key, person in people.items():
            person.languages = ["sv"]
            person.birth_year = 1980
            person.area = "Krylbo"
            person.household = HouseholdType.SINGLE
            if isinstance(person, Host):
                person.status = HostStatus.ACTIVE
                person.capacity = 1
            db.session.add(person)
            set_interests(db.session, person, WORDS[key])
        db.session.commit()
        return {key: person.id for key, person in people.items()}


def host_slugs(app: Flask, host_id: int) -> set[str]:
    """The interests stored with a host's profile."""
    with app.app_context():
        host = db.session.get(Host, host_id)
        assert host is not None
        return {link.interest.slug for link in host.interests}


def stored_as_read_now(app: Flask) -> bool:
    """Whether every profile's stored interests are what the matcher reads in its words now."""
    with app.app_context():
        normalizer = matcher_normalizer(db.session)
        people: list[Host | Newcomer] = [*db.session.scalars(select(Host))]
        people += db.session.scalars(select(Newcomer))
        for person in people:
            read = {
                n.canonical_id
                for n in normalizer.normalize(list(person.interests_raw))
                if n.canonical_id
            }
            if {link.interest.slug for link in person.interests} != read:
                return False
        return True
