"""A logged-in host sees only their own matches and newcomers: every other id in a URL is 404,
on every route of the application that takes an id, coordinator routes included (a host must
not even learn which ids exist)."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter

from avestavard.extensions import db
from avestavard.models.matches import MatchProposal
from avestavard.services import matches as service
from tests.conftest import csrf_token_from, login
from tests.integration.matches_support import (
    NOW,
    add_host,
    add_newcomer,
    recompute,
    settings,
    system,
)


def _world(app, make_user):
    """Host A (logged in) with one match; host B with a match, a newcomer and a proposal."""
    user = make_user("host", email="karin.berg@avesta.example")
    own_host = add_host(app, user_email=user.email)
    own_newcomer = add_newcomer(app)
    other_host = add_host(app, "Lars Holm", email="lars@avesta.example")
    other_newcomer = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    waiting = add_newcomer(app, "Yusuf Ali", email="yusuf@example.org")
    with app.app_context():
        own = service.assign_other_host(
            db.session, system(), own_newcomer, own_host, now=NOW, settings=settings(app)
        )
        other = service.assign_other_host(
            db.session, system(), other_newcomer, other_host, now=NOW, settings=settings(app)
        )
        db.session.commit()
        ids = {"own_match": own.id, "other_match": other.id}
    recompute(app)
    with app.app_context():
        proposal = db.session.scalar(
            select(MatchProposal.id).where(MatchProposal.newcomer_id == waiting)
        )
    return user, {
        **ids,
        "own_newcomer": own_newcomer,
        "other_newcomer": other_newcomer,
        "other_host": other_host,
        "proposal": proposal,
        "waiting": waiting,
    }


def _foreign_id(name, ids):
    """An id the host has no right to: a real row where we have one, else an unknown id."""
    return {
        "match_id": ids["other_match"],
        "newcomer_id": ids["other_newcomer"],
        "host_id": ids["other_host"],
        "proposal_id": ids["proposal"] or 987654,
    }.get(name, 987654)


def _value(converter, name, ids):
    if isinstance(converter, IntegerConverter):
        return _foreign_id(name, ids)
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def _id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.arguments:
            continue
        if any(isinstance(rule._converters[a], IntegerConverter) for a in rule.arguments):
            yield rule


def test_a_host_gets_404_for_every_id_that_is_not_theirs_on_every_route(app, client, make_user):
    user, ids = _world(app, make_user)
    assert login(client, user.email).status_code == 302
    own_page = client.get(f"/host/matches/{ids['own_match']}")
    assert own_page.status_code == 200 and "Amira" in own_page.get_data(as_text=True)
    assert client.get(f"/host/newcomers/{ids['own_newcomer']}").status_code == 200
    token = csrf_token_from(own_page.get_data(as_text=True))
    checked, wrong = [], []
    for rule in _id_routes(app):
        values = {arg: _value(rule._converters[arg], arg, ids) for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        if "GET" in (rule.methods or ()):
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token})
        checked.append(rule.endpoint)
        if response.status_code != 404:
            wrong.append(f"{rule.endpoint} {path}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    # the matches pages are among those checked (and the others of the app too)
    for endpoint in (
        "host.match_detail",
        "host.match_accept",
        "host.match_decline",
        "host.match_met",
        "host.newcomer",
        "coordinator.match_detail",
        "coordinator.approve_proposal",
        "coordinator.reject_proposal",
        "coordinator.pick_host",
        "coordinator.assign_host",
        "coordinator.match_end",
    ):
        assert endpoint in checked
    # nothing changed for host B
    with app.app_context():
        from avestavard.models.matches import Match, MatchState

        assert db.session.get(Match, ids["other_match"]).state == MatchState.HOST_NOTIFIED


def test_a_host_sees_only_their_own_matches_in_the_list(app, client, make_user):
    user, ids = _world(app, make_user)
    login(client, user.email)
    page = client.get("/host/matches").get_data(as_text=True)
    assert "Amira" in page and "Olena" not in page
    # first name only, never the newcomer's contact details
    detail = client.get(f"/host/matches/{ids['own_match']}").get_data(as_text=True)
    for secret in ("Haddad", "amira.haddad@example.org", "+46709876543", "Damaskus"):
        assert secret not in detail


def test_a_host_answers_and_marks_the_meeting_from_their_own_page(app, client, make_user):
    user, ids = _world(app, make_user)
    login(client, user.email)
    path = f"/host/matches/{ids['own_match']}"
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    assert client.post(f"{path}/met", data={"csrf_token": token}).status_code == 409
    assert client.post(f"{path}/accept", data={"csrf_token": token}).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Ni har fått varandras kontaktuppgifter" in page  # written to the host
    assert client.post(f"{path}/met", data={"csrf_token": token}).status_code == 302
    assert "Ni har träffats" in client.get(path).get_data(as_text=True)
