"""A coordinator registers a newcomer by hand after a phone call: confirmed at once (waiting
for a host), no email sent, audit-logged; the form keeps what was typed on errors."""

from __future__ import annotations

from html import unescape
from typing import Any

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import AuditEvent, Newcomer, NewcomerStatus, OutboxMessage
from tests.conftest import csrf_token_from, login

CALL = {
    "name": "Amira Haddad",
    "email": "",
    "phone": "073-555 12 34",
    "preferred_language": "ar",
    "moved_in": "2026-10-01",
    "area": "Krylbo",
    "street_address": "Kungsgatan 3",
    "household": "family",
    "birth_year": "1988",
    "languages": ["ar", "sv"],
    "interests": "Fotboll, sömnad, promenader",
    "past": "Lärare i Aleppo.",
    "present": "Läser SFI.",
    "future": "Vill arbeta i skolan igen.",
    "wishes": "En familj med barn.",
    "privacy_told": "y",
}


def text_of(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def post(client: Any, **changes: Any) -> Any:
    token = csrf_token_from(client.get("/coordinator/newcomers/new").get_data(as_text=True))
    data = {**CALL, **changes, "csrf_token": token}
    return client.post(
        "/coordinator/newcomers/new", data={k: v for k, v in data.items() if v is not None}
    )


def test_a_newcomer_registered_after_a_call_waits_for_a_host_at_once(app, coordinator_client):
    form = coordinator_client.get("/coordinator/newcomers/new")
    assert form.status_code == 200
    assert "Ny nyinflyttad" in text_of(form)

    answer = post(coordinator_client)
    assert answer.status_code == 302
    detail = text_of(coordinator_client.get(answer.headers["Location"]))
    assert "Personen är registrerad och väntar nu på en värd." in detail
    with app.app_context():
        [newcomer] = db.session.scalars(select(Newcomer)).all()
        assert newcomer.status == NewcomerStatus.WAITING
        assert newcomer.confirmed_at is not None
        assert newcomer.phone == "+46735551234"
        assert newcomer.email is None
        assert newcomer.preferred_language == "ar"
        assert newcomer.languages == ["ar", "sv"]
        assert newcomer.interests_raw == ["Fotboll", "sömnad", "promenader"]
        assert {link.interest.slug for link in newcomer.interests}  # normalised interests
        assert newcomer.privacy_notice_version == app.config["PRIVACY_NOTICE_VERSION"]
        assert newcomer.letters_by_email is False  # no email address
        events = db.session.execute(
            select(AuditEvent.actor_label, AuditEvent.action)
            .where(AuditEvent.subject_type == "newcomer", AuditEvent.subject_id == newcomer.id)
            .order_by(AuditEvent.id)
        ).all()
        assert [tuple(e) for e in events] == [
            ("samordnare@avesta.example", "create"),
            ("samordnare@avesta.example", "view"),  # the profile page shown afterwards
        ]
        assert db.session.scalars(select(OutboxMessage)).all() == []  # the call confirmed it
        newcomer_id = newcomer.id
    listing = text_of(coordinator_client.get("/coordinator/?q=Amira"))
    assert f'href="/coordinator/newcomers/{newcomer_id}">Amira Haddad</a>' in listing
    assert "Väntar på värd" in listing


def test_the_form_keeps_what_was_typed_and_explains_each_error(app, coordinator_client):
    answer = post(coordinator_client, name="", phone="", email="", privacy_told=None)
    page = text_of(answer)
    assert answer.status_code == 400
    assert 'id="name-error">Fyll i namnet.' in page
    assert 'id="email-error">Fyll i e-postadress eller telefonnummer' in page
    assert 'id="privacy_told-error">Berätta om integritetsinformationen' in page
    assert "Fotboll, sömnad, promenader" in page
    assert "Lärare i Aleppo." in page
    assert 'value="Kungsgatan 3"' in page
    assert (
        'value="fa"' in page
        and 'checked id="languages-2" name="languages" type="checkbox" value="ar"' in page
    )
    with app.app_context():
        assert db.session.scalars(select(Newcomer)).all() == []


def test_a_person_we_already_have_is_not_registered_twice(app, coordinator_client):
    with app.app_context():
        waiting_for_the_call = Newcomer(
            name="Amira H", phone="+46735551234", status=NewcomerStatus.UNCONFIRMED
        )
        db.session.add(waiting_for_the_call)
        db.session.commit()
        existing_id = waiting_for_the_call.id
    answer = post(coordinator_client)
    page = text_of(answer)
    assert answer.status_code == 400
    assert 'id="phone-error">Det finns redan en nyinflyttad med det telefonnumret.' in page
    assert f'href="/coordinator/newcomers/{existing_id}"' in page
    assert 'value="Amira Haddad"' in page
    with app.app_context():
        assert len(db.session.scalars(select(Newcomer)).all()) == 1


def test_only_coordinators_register_newcomers(app, make_user):
    host = make_user("host")
    client = app.test_client()
    login(client, host.email)
    assert client.get("/coordinator/newcomers/new").status_code == 403
    anonymous = app.test_client().get("/coordinator/newcomers/new")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    admin = make_user("admin")
    client = app.test_client()
    login(client, admin.email)
    assert client.get("/coordinator/newcomers/new").status_code == 200
