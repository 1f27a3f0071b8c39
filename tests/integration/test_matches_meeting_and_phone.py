"""The match flow after the introduction: the day of the first meeting (today by default, never
in the future), the way back to "Att matcha" from a declined match, and follow-up answers a
coordinator records after a phone call."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.localtime import to_local
from avestavard.models import utcnow
from avestavard.models.matches import MatchFollowUp, MatchState
from avestavard.services import matches as service
from tests.conftest import csrf_token_from
from tests.integration.matches_support import add_host, add_newcomer, settings, system, the_match


def _introduced(app, days_ago: int = 10) -> tuple[int, int]:
    host = add_host(app)
    newcomer = add_newcomer(app)
    earlier = utcnow() - timedelta(days=days_ago)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=earlier, settings=settings(app)
        )
        service.host_accept(db.session, system(), match.id, now=earlier, settings=settings(app))
        db.session.commit()
        assert match.state == MatchState.INTRODUCED
        return match.id, newcomer


def test_meeting_day_is_entered_and_never_in_the_future(app, coordinator_client):
    match_id, newcomer = _introduced(app)
    page = coordinator_client.get(f"/coordinator/matches/{match_id}").get_data(as_text=True)
    today = to_local(utcnow()).date()
    assert f'value="{today.isoformat()}"' in page  # today is filled in
    token = csrf_token_from(page)
    tomorrow = (today + timedelta(days=1)).isoformat()
    refused = coordinator_client.post(
        f"/coordinator/matches/{match_id}/met", data={"csrf_token": token, "met_on": tomorrow}
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Dagen kan inte vara i framtiden." in html and f'value="{tomorrow}"' in html
    garbage = coordinator_client.post(
        f"/coordinator/matches/{match_id}/met", data={"csrf_token": token, "met_on": "igår"}
    )
    assert garbage.status_code == 422
    assert the_match(app, newcomer).state == MatchState.INTRODUCED
    three_days_ago = today - timedelta(days=3)
    done = coordinator_client.post(
        f"/coordinator/matches/{match_id}/met",
        data={"csrf_token": token, "met_on": three_days_ago.isoformat()},
    )
    assert done.status_code == 302
    match = the_match(app, newcomer)
    assert match.state == MatchState.MET
    assert match.met_at is not None and to_local(match.met_at).date() == three_days_ago


def test_declined_match_links_to_the_newcomer_in_to_match(app, coordinator_client):
    host = add_host(app)
    newcomer = add_newcomer(app)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=utcnow(), settings=settings(app)
        )
        service.host_decline(db.session, system(), match.id, "Bortrest", now=utcnow())
        db.session.commit()
        match_id = match.id
    page = coordinator_client.get(f"/coordinator/matches/{match_id}").get_data(as_text=True)
    assert "Amira väntar på en ny värd." in page
    assert f'href="/coordinator/to-match#newcomer-{newcomer}"' in page


def test_phone_follow_up_answers_are_recorded_once(app, coordinator_client):
    match_id, newcomer = _introduced(app)
    page = coordinator_client.get(f"/coordinator/matches/{match_id}").get_data(as_text=True)
    assert "Uppföljning per telefon" in page
    token = csrf_token_from(page)
    path = f"/coordinator/matches/{match_id}/follow-up"
    missing = coordinator_client.post(path, data={"csrf_token": token, "met": "yes"})
    assert missing.status_code == 422
    assert "Välj vem som svarade." in missing.get_data(as_text=True)
    answer = {"csrf_token": token, "side": "newcomer", "met": "yes", "fit": "4", "comment": "Bra!"}
    assert coordinator_client.post(path, data=answer).status_code == 302
    with app.app_context():
        [follow_up] = db.session.scalars(select(MatchFollowUp)).all()
        assert (follow_up.side.value, follow_up.met, follow_up.fit) == ("newcomer", True, 4)
        assert follow_up.answered_at is not None
    assert the_match(app, newcomer).state == MatchState.MET
    assert coordinator_client.post(path, data=answer).status_code == 409
