"""The host's side of a match: the start page shows first what waits for the host's answer,
states are written to the host, an approval still held is invisible to the host, and after
accepting the host sees how to reach the newcomer and what happens next."""

from __future__ import annotations

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import AuditAction, AuditEvent, utcnow
from avestavard.services import matches as service
from tests.conftest import csrf_token_from, login
from tests.integration.matches_support import add_host, add_newcomer, settings, system


def _match(app, host: int, newcomer: int, *, hold: int = 0) -> int:
    app.config["MAIL_HOLD_SECONDS"] = hold
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=utcnow(), settings=settings(app)
        )
        db.session.commit()
        return match.id


def test_start_page_lists_what_waits_for_an_answer_first(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email, capacity=3)
    earlier = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    waiting = add_newcomer(app)
    introduced = _match(app, host, earlier)
    with app.app_context():
        service.host_accept(db.session, system(), introduced, now=utcnow(), settings=settings(app))
        db.session.commit()
    _match(app, host, waiting)
    login(client, user.email)
    page = client.get("/host/").get_data(as_text=True)
    assert "Väntar på ditt svar" in page
    assert page.index("Vill du bli AvestaVärd för Amira?") < page.index("Olena")
    assert "ni har fått varandras kontaktuppgifter" in page
    assert "skickad till värden" not in page.lower()  # the coordinators' word, not the host's
    listing = client.get("/host/matches").get_data(as_text=True)
    assert listing.index("Amira") < listing.index("Olena")


def test_a_held_approval_is_invisible_to_the_host(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    newcomer = add_newcomer(app)
    match_id = _match(app, host, newcomer, hold=600)
    login(client, user.email)
    assert "Amira" not in client.get("/host/").get_data(as_text=True)
    assert "Amira" not in client.get("/host/matches").get_data(as_text=True)
    assert client.get(f"/host/matches/{match_id}").status_code == 404
    assert client.get(f"/host/newcomers/{newcomer}").status_code == 404


def test_after_accepting_the_host_sees_contact_details_and_next_step(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    newcomer = add_newcomer(app)
    match_id = _match(app, host, newcomer)
    login(client, user.email)
    page = client.get(f"/host/matches/{match_id}").get_data(as_text=True)
    assert "amira.haddad@example.org" not in page  # not before the host said yes
    response = client.post(
        f"/host/matches/{match_id}/accept", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    page = client.get(f"/host/matches/{match_id}").get_data(as_text=True)
    assert "Så når du Amira" in page
    assert "amira.haddad@example.org" in page and "+46709876543" in page
    assert "Hör gärna av dig först" in page


def test_answering_logs_the_answer_not_a_view(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    match_id = _match(app, host, add_newcomer(app))
    login(client, user.email)
    page = client.get(f"/host/matches/{match_id}").get_data(as_text=True)
    client.post(f"/host/matches/{match_id}/accept", data={"csrf_token": csrf_token_from(page)})
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "match", AuditEvent.actor_id == user.id)
            .order_by(AuditEvent.id)
        ).all()
    # the page, the answer and the newcomer's introduction that follows it
    assert actions == [AuditAction.VIEW, AuditAction.HOST_ACCEPT, AuditAction.INTRODUCE]


def test_a_held_approval_cannot_be_answered_by_the_host(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    match_id = _match(app, host, add_newcomer(app), hold=600)
    login(client, user.email)
    token = csrf_token_from(client.get("/host/").get_data(as_text=True))
    for answer in ("accept", "decline"):
        response = client.post(f"/host/matches/{match_id}/{answer}", data={"csrf_token": token})
        assert response.status_code == 404
