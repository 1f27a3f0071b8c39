"""The host's answer links and the follow-up links, as they arrive on a real SMTP server:
they work without logging in, once; replayed, replaced, expired or tampered links get a clear
page. The outbox sender delivers every email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Newcomer, NewcomerStatus, utcnow
from avestavard.models.matches import Match, MatchFollowUp, MatchState
from avestavard.services import matches as service
from tests.conftest import csrf_token_from
from tests.integration.matches_support import (
    add_host,
    add_newcomer,
    body_html,
    body_text,
    deliver,
    links_in,
    open_proposal,
    recompute,
    settings,
    system,
    the_match,
    to_path,
)


def _approved_and_delivered(app, smtp, **host_kwargs):
    host = add_host(app, **host_kwargs)
    newcomer = add_newcomer(app)
    now = utcnow()
    recompute(app, now)
    with app.app_context():
        service.approve_match(
            db.session,
            system(),
            open_proposal(app, newcomer, host),
            now=now,
            settings=settings(app),
        )
        db.session.commit()
    report = deliver(app, smtp)
    assert report.sent == 1
    [message] = smtp.wait_for(1)
    return host, newcomer, message


def _post_form(client, path, data=None):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_host_accepts_from_the_email_and_the_newcomer_gets_the_introduction(
    app, client, smtp_server
):
    _host, newcomer, message = _approved_and_delivered(app, smtp_server)
    assert message["To"] == "karin.berg@avesta.example"
    assert message["Subject"] == "Vill du bli AvestaVärd för Amira?"
    assert message.get_body(preferencelist=("html",)) is not None
    accept, decline = links_in(message)
    assert accept in body_html(message) and decline in body_html(message)
    # opening the link only shows the page (mail scanners open links too)
    page = client.get(to_path(accept))
    assert page.status_code == 200
    assert "Vill du bli AvestaVärd för Amira?" in page.get_data(as_text=True)
    assert the_match(app, newcomer).state == MatchState.HOST_NOTIFIED
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(to_path(accept), data={"csrf_token": token})
    assert response.status_code == 200
    assert "Vad roligt att du vill bli AvestaVärd för Amira!" in response.get_data(as_text=True)
    match = the_match(app, newcomer)
    assert match.state == MatchState.INTRODUCED and match.accepted_at and match.introduced_at
    deliver(app, smtp_server)
    intro = smtp_server.wait_for(2)[1]
    assert intro["To"] == "amira.haddad@example.org"
    assert intro["Subject"] == "Möt din AvestaVärd Karin"
    text = body_text(intro)
    assert "Karin" in text and "karin.berg@avesta.example" in text and "+46701234567" in text
    assert "Berg" not in text.replace("karin.berg", "")  # only the first name
    # the link worked once: replaying it (or the decline twin) gets a clear page
    replay = client.get(to_path(accept))
    assert replay.status_code == 409
    assert "Du har redan svarat" in replay.get_data(as_text=True)
    twin = client.get(to_path(decline))
    assert twin.status_code == 409 and "Ditt svar: ja." in twin.get_data(as_text=True)
    # a POST replayed with a valid CSRF token changes nothing either
    assert client.post(to_path(accept), data={"csrf_token": token}).status_code == 409
    assert client.post(to_path(decline), data={"csrf_token": token}).status_code == 409
    assert the_match(app, newcomer).state == MatchState.INTRODUCED
    assert len(smtp_server.messages) == 2


def test_host_declines_with_a_reason_from_the_email(app, client, smtp_server):
    _host, newcomer, message = _approved_and_delivered(app, smtp_server)
    _accept, decline = links_in(message)
    page = client.get(to_path(decline)).get_data(as_text=True)
    assert "Vill du berätta varför? (valfritt)" in page
    response = _post_form(client, to_path(decline), {"reason": "Vi flyttar i vår"})
    assert response.status_code == 200
    match = the_match(app, newcomer)
    assert match.state == MatchState.DECLINED and match.decline_reason == "Vi flyttar i vår"
    with app.app_context():
        assert db.session.get(Newcomer, newcomer).status == NewcomerStatus.WAITING
    replay = client.get(to_path(decline))
    assert replay.status_code == 409 and "Ditt svar: nej tack." in replay.get_data(as_text=True)


def test_english_host_gets_english_links_and_pages(app, client, smtp_server):
    _host, _newcomer, message = _approved_and_delivered(app, smtp_server, preferred_language="en")
    accept, _decline = links_in(message)
    assert accept.endswith("?lang=en")
    page = client.get(to_path(accept)).get_data(as_text=True)
    assert "Would you like to be an AvestaVärd host for Amira?" in page
    assert "Family with children" in page


def test_tampered_expired_and_replaced_links_get_clear_pages(app, client, smtp_server):
    _host, newcomer, message = _approved_and_delivered(app, smtp_server)
    accept, _decline = links_in(message)
    path = to_path(accept).split("?")[0]
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    response = client.get(tampered)
    assert response.status_code == 404
    assert "Länken är felaktig" in response.get_data(as_text=True)
    # a token for another match id, signed with another key, is just as invalid
    other = service.MatchSettings(secret_key="not-our-key", public_base_url="")
    match = the_match(app, newcomer)
    assert (
        client.get(f"/matchning/svar/{service.answer_token(other, match, 'accept')}").status_code
        == 404
    )
    # a newer email replaces the links of the older one
    with app.app_context():
        service.notify_host_again(
            db.session, system(), match.id, now=utcnow(), settings=settings(app)
        )
        db.session.commit()
    replaced = client.get(path)
    assert replaced.status_code == 409
    assert "ersatts av en nyare" in replaced.get_data(as_text=True)
    deliver(app, smtp_server)
    fresh_accept, _ = links_in(smtp_server.wait_for(2)[1])
    # the new link expires after the configured days
    with app.app_context():
        row = db.session.get(Match, match.id)
        row.answer_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    expired = client.get(to_path(fresh_accept))
    assert expired.status_code == 410
    assert "Länken har gått ut" in expired.get_data(as_text=True)
    assert the_match(app, newcomer).state == MatchState.HOST_NOTIFIED


def test_follow_up_links_record_answers_once(app, client, smtp_server):
    host = add_host(app)
    newcomer = add_newcomer(app, preferred_language="ar")
    introduced = utcnow() - timedelta(days=40)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=introduced, settings=settings(app)
        )
        service.host_accept(db.session, system(), match.id, now=introduced, settings=settings(app))
        queued = service.send_follow_ups(db.session, utcnow(), settings(app))
        db.session.commit()
        match_id = match.id
    assert queued == 2
    deliver(app, smtp_server)
    messages = smtp_server.wait_for(4)
    by_to = {m["To"]: m for m in messages[2:]}
    newcomer_mail = by_to["amira.haddad@example.org"]
    host_mail = by_to["karin.berg@avesta.example"]
    assert newcomer_mail["Subject"] == "كيف تسير الأمور مع Karin؟"
    assert 'dir="rtl"' in body_html(newcomer_mail)
    assert host_mail["Subject"] == "Hur har det gått med Amira?"
    [newcomer_link] = links_in(newcomer_mail)
    [host_link] = links_in(host_mail)
    page = client.get(to_path(newcomer_link))
    assert page.status_code == 200 and 'dir="rtl"' in page.get_data(as_text=True)
    # "met" must be answered; the error is next to the question
    missing = _post_form(client, to_path(newcomer_link), {"fit": "2"})
    assert missing.status_code == 422
    response = _post_form(
        client, to_path(newcomer_link), {"met": "no", "fit": "2", "comment": "Svårt att ses"}
    )
    assert response.status_code == 200
    assert client.get(to_path(newcomer_link)).status_code == 409
    assert _post_form(client, to_path(host_link), {"met": "yes", "fit": "5"}).status_code == 200
    with app.app_context():
        answers = {
            f.side.value: (f.met, f.fit, f.comment)
            for f in db.session.scalars(select(MatchFollowUp))
        }
        assert answers == {"newcomer": (False, 2, "Svårt att ses"), "host": (True, 5, "")}
        # the host said they met: the match is marked met
        match = db.session.get(Match, match_id)
        assert match.state == MatchState.MET and match.met_at is not None
