"""The coordinators' approval pages: the host's email previewed with a personal note, the undo
while the email is held, and bulk approval where a pair that hits capacity is reported while
the rest go through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Newcomer, NewcomerStatus, OutboxStatus, utcnow
from avestavard.models.matches import Match, MatchState
from tests.conftest import csrf_token_from
from tests.integration.matches_support import (
    add_host,
    add_newcomer,
    deliver,
    open_proposal,
    outbox,
    recompute,
)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"MAIL_HOLD_SECONDS": 600}


def _token(client, page="/coordinator/to-match"):
    return csrf_token_from(client.get(page).get_data(as_text=True))


def test_preview_shows_the_hosts_email_with_the_note_then_sends_it_held(app, coordinator_client):
    host = add_host(app, preferred_language="en")
    newcomer = add_newcomer(app)
    recompute(app, utcnow())
    proposal = open_proposal(app, newcomer, host)
    path = f"/coordinator/proposals/{proposal}/approve"
    page = coordinator_client.get(path).get_data(as_text=True)
    assert "karin.berg@avesta.example" in page
    assert "Would you like to be an AvestaVärd host for Amira?" in page  # the host's language
    assert outbox(app) == []  # a preview sends nothing

    token = _token(coordinator_client, path)
    note = "Hi Karin, Amira loves fishing as much as you do."
    response = coordinator_client.post(
        path, data={"csrf_token": token, "note": note, "preview": "1"}
    )
    assert response.status_code == 200 and note in response.get_data(as_text=True)
    assert outbox(app) == []

    too_long = coordinator_client.post(path, data={"csrf_token": token, "note": "x" * 1001})
    assert too_long.status_code == 422
    assert "x" * 1001 in too_long.get_data(as_text=True)  # the input is shown again
    assert outbox(app) == []

    response = coordinator_client.post(path, data={"csrf_token": token, "note": note})
    assert response.status_code == 302
    detail = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ångra godkännandet" in detail and "Godkänd, mejlet till värden väntar" in detail
    [row] = outbox(app)
    assert row.status == OutboxStatus.QUEUED and note in row.body_text
    assert row.held_until is not None and row.held_until > utcnow() + timedelta(minutes=9)


def test_undo_from_the_match_page_puts_the_newcomer_back(app, coordinator_client, smtp_server):
    host = add_host(app)
    newcomer = add_newcomer(app)
    recompute(app, utcnow())
    proposal = open_proposal(app, newcomer, host)
    token = _token(coordinator_client)
    coordinator_client.post(
        f"/coordinator/proposals/{proposal}/approve", data={"csrf_token": token}
    )
    with app.app_context():
        match_id = db.session.scalar(select(Match.id))
    to_match = coordinator_client.get("/coordinator/to-match").get_data(as_text=True)
    assert "Ångra" in to_match  # the held approval can be undone from the list too
    response = coordinator_client.post(
        f"/coordinator/matches/{match_id}/undo", data={"csrf_token": token}
    )
    assert response.status_code == 302 and "/coordinator/to-match" in response.headers["Location"]
    page = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Godkännandet är ångrat" in page and "Godkänn Karin för Amira" in page
    assert deliver(app, smtp_server, utcnow() + timedelta(hours=1)).claimed == 0
    # A second click finds nothing to undo.
    again = coordinator_client.post(
        f"/coordinator/matches/{match_id}/undo", data={"csrf_token": token}
    )
    assert again.status_code == 409


def test_bulk_approval_reports_capacity_and_undoes_as_one(app, coordinator_client, smtp_server):
    hosts = [
        add_host(app, "Karin Berg", email="karin@avesta.example", capacity=1),
        add_host(app, "Lars Holm", email="lars@avesta.example", capacity=1),
    ]
    newcomers = [
        add_newcomer(app, "Amira Haddad", email="amira@example.org"),
        add_newcomer(app, "Olena Shevchenko", email="olena@example.org"),
        add_newcomer(app, "Ali Rahimi", email="ali@example.org"),
    ]
    recompute(app, utcnow())
    # Karin is proposed for two newcomers (an alternative), but has one place.
    selected = [
        open_proposal(app, newcomers[0], hosts[0]),
        open_proposal(app, newcomers[1], hosts[0]),
    ]
    selected.append(open_proposal(app, newcomers[2], hosts[1]))
    query = "&".join(f"proposal={p}" for p in selected)
    review = coordinator_client.get(f"/coordinator/to-match/review?{query}")
    page = review.get_data(as_text=True)
    assert review.status_code == 200
    assert page.count('name="proposal"') == 3 and "karin@avesta.example" in page
    token = _token(coordinator_client)
    response = coordinator_client.post(
        "/coordinator/to-match/approve-selected",
        data={"csrf_token": token, "proposal": [str(p) for p in selected]},
    )
    assert response.status_code == 302
    page = coordinator_client.get("/coordinator/to-match").get_data(as_text=True)
    assert "2 matchningar är godkända" in page
    assert "Inte godkänd: Karin Berg har redan så många" in page
    assert "Ångra alla 2" in page
    with app.app_context():
        matches = db.session.scalars(select(Match)).all()
        assert len(matches) == 2 and len({m.approval_batch for m in matches}) == 1
        batch = matches[0].approval_batch
    response = coordinator_client.post(
        f"/coordinator/approvals/{batch}/undo", data={"csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():
        assert {m.state for m in db.session.scalars(select(Match))} == {MatchState.UNDONE}
        statuses = {n.status for n in db.session.scalars(select(Newcomer))}
        assert statuses == {NewcomerStatus.WAITING}
    assert {r.status for r in outbox(app)} == {OutboxStatus.CANCELLED}
    assert deliver(app, smtp_server, utcnow() + timedelta(hours=1)).claimed == 0
