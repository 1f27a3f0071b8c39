""" "Att matcha" a page at a time: those who waited longest first, the count of all who wait,
one CSRF token per page (no repeated ids), and the same queries for a short or a full page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import event, select

from avestavard.extensions import db
from avestavard.models import Host, Newcomer, NewcomerStatus
from avestavard.models.matches import Match, MatchState
from avestavard.services.matches import recompute_proposals

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def waiting(app):
    with app.app_context():
        db.session.add_all(
            [
                Host(name=f"Värd {i}", area="Krylbo", capacity=2, interests_raw=["fiske"])
                for i in range(6)
            ]
        )
        db.session.add_all(
            [
                Newcomer(
                    name=f"Väntar {i:02d}",
                    status=NewcomerStatus.WAITING,
                    area="Krylbo",
                    interests_raw=["fiske"],
                    registered_at=NOW - timedelta(days=100 - i),
                    confirmed_at=NOW - timedelta(days=90 - i),
                )
                for i in range(45)
            ]
        )
        db.session.flush()
        recompute_proposals(db.session, NOW)
        db.session.commit()


def names(html: str) -> list[str]:
    return re.findall(r'<h2 id="newcomer-\d+">\s*<a href="[^"]+">([^<]+)</a>', unescape(html))


def test_pages_of_twenty_longest_waiting_first(waiting, coordinator_client):
    first = unescape(coordinator_client.get("/coordinator/to-match").get_data(as_text=True))
    assert 'Att matcha <span class="count">(45)</span>' in first
    assert names(first) == [f"Väntar {i:02d}" for i in range(20)]
    assert "Nyinflyttade 1–20 av 45" in first and "Sida 1 av 3" in first
    assert 'id="csrf_token"' not in first
    # The recompute button's form and the menu's log-out form; none per newcomer.
    assert first.count('name="csrf_token"') == 2
    last = coordinator_client.get("/coordinator/to-match?page=3").get_data(as_text=True)
    assert names(last) == [f"Väntar {i:02d}" for i in range(40, 45)]
    assert 'rel="prev"' in last and 'rel="next"' not in last
    beyond = coordinator_client.get("/coordinator/to-match?page=99").get_data(as_text=True)
    assert names(beyond) == names(last)
    assert coordinator_client.get("/coordinator/to-match?page=x").status_code == 200


def test_query_count_does_not_grow_with_the_page(waiting, app, coordinator_client):
    with app.app_context():
        engine = db.engine
    counts: list[int] = []

    def count(*_args):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for path in ("/coordinator/to-match?page=3", "/coordinator/to-match"):
            counts.append(0)
            assert coordinator_client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    five_rows, twenty_rows = counts
    assert twenty_rows == five_rows


def test_a_page_with_a_declined_host_takes_the_same_queries(waiting, app, coordinator_client):
    with app.app_context():
        first = db.session.scalars(select(Newcomer).where(Newcomer.name == "Väntar 00")).one()
        host = Host(name="Avböjde Värd", area="Fors", capacity=1, interests_raw=["bandy"])
        db.session.add(host)
        db.session.flush()
        db.session.add(
            Match(
                host_id=host.id,
                newcomer_id=first.id,
                state=MatchState.DECLINED,
                approved_at=NOW,
                declined_at=NOW,
            )
        )
        db.session.commit()
        engine = db.engine
    counts: list[int] = []

    def count(*_args):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for path in ("/coordinator/to-match?page=3", "/coordinator/to-match"):
            counts.append(0)
            page = coordinator_client.get(path).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert "Har tackat nej: Avböjde Värd" in page
    without, with_declined = counts
    assert with_declined == without
