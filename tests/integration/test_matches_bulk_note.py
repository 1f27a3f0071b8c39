"""Bulk approval with one personal note: the note goes into every host's email; a note that is
too long is shown again with the error next to it and nothing is approved."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.models.matches import Match
from tests.conftest import csrf_token_from
from tests.integration.matches_support import (
    add_host,
    add_newcomer,
    body_text,
    deliver,
    open_proposal,
    recompute,
)

NOTE = "Hej! Jag ringer dig nästa vecka och berättar mer.\n\nVänliga hälsningar, Maria"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"MAIL_HOLD_SECONDS": 600}


def _pairs(app) -> list[int]:
    karin = add_host(app, "Karin Berg", email="karin@avesta.example")
    lars = add_host(app, "Lars Holm", email="lars@avesta.example", preferred_language="en")
    amira = add_newcomer(app, "Amira Haddad", email="amira@example.org")
    olena = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    recompute(app, utcnow())
    return [open_proposal(app, amira, karin), open_proposal(app, olena, lars)]


def test_one_note_goes_into_every_hosts_email(app, coordinator_client, smtp_server):
    selected = _pairs(app)
    query = "&".join(f"proposal={p}" for p in selected)
    review = coordinator_client.get(f"/coordinator/to-match/review?{query}")
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and 'name="note"' in page
    response = coordinator_client.post(
        "/coordinator/to-match/approve-selected",
        data={"csrf_token": csrf_token_from(page), "proposal": selected, "note": NOTE},
    )
    assert response.status_code == 302
    with app.app_context():
        notes = [m.coordinator_note for m in db.session.scalars(select(Match))]
        assert notes == [NOTE, NOTE]
    deliver(app, smtp_server, utcnow() + timedelta(minutes=11))
    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["karin@avesta.example", "lars@avesta.example"]
    for mail in mails:
        assert "Jag ringer dig nästa vecka och berättar mer." in body_text(mail)


def test_a_note_too_long_is_shown_again_and_nothing_is_approved(app, coordinator_client):
    selected = _pairs(app)
    query = "&".join(f"proposal={p}" for p in selected)
    page = coordinator_client.get(f"/coordinator/to-match/review?{query}").get_data(as_text=True)
    response = coordinator_client.post(
        "/coordinator/to-match/approve-selected",
        data={"csrf_token": csrf_token_from(page), "proposal": selected, "note": "x" * 5000},
    )
    again = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="note-error"' in again and "x" * 100 in again
    assert again.count('name="proposal"') == 2
    with app.app_context():
        assert db.session.scalars(select(Match)).all() == []
