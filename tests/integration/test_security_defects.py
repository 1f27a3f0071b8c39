"""Defects found by probing the application as an attacker would: each test is named after the
defect it guards against."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import OutboxMessage
from avestavard.services import matches as service
from tests.conftest import csrf_token_from, login
from tests.integration.matches_support import NOW, add_host, add_newcomer, settings, system
from tests.integration.test_profiles_register import post_registration


def test_defect_05_birth_year_unicode_digits(client):
    for typed in ("①②③④", "¹⁹⁸⁵", "١٩٨٥", "１９８５"):
        response = post_registration(client, birth_year=typed)
        assert response.status_code == 400, typed
        assert "Skriv födelseåret med fyra siffror" in unescape(response.get_data(as_text=True))


def test_defect_12_hsts_in_production(app):
    from avestavard import create_app

    assert "Strict-Transport-Security" not in app.test_client().get("/").headers
    production = create_app("testing", {"DATABASE_URL": app.config["DATABASE_URL"]})
    production.config["HSTS_SECONDS"] = 31536000
    header = production.test_client().get("/").headers.get("Strict-Transport-Security")
    assert header == "max-age=31536000; includeSubDomains"
    from avestavard.config import load_config

    assert load_config("production")["HSTS_SECONDS"] == 31536000


def test_defect_15_host_loses_newcomer_page_after_declining(app, client, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    newcomer = add_newcomer(app)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=NOW, settings=settings(app)
        )
        db.session.commit()
        match_id = match.id
    assert login(client, user.email).status_code == 302
    assert client.get(f"/host/newcomers/{newcomer}").status_code == 200
    page = client.get(f"/host/matches/{match_id}").get_data(as_text=True)
    token = csrf_token_from(page)
    declined = client.post(
        f"/host/matches/{match_id}/decline", data={"csrf_token": token, "reason": ""}
    )
    assert declined.status_code == 302
    assert client.get(f"/host/newcomers/{newcomer}").status_code == 404
    assert "Intressen" not in client.get(f"/host/matches/{match_id}").get_data(as_text=True)


def test_defect_16_confirmation_mail_greets_without_typed_name(app, client):
    typed = "Vinn en iPhone på http://bedrageri.example nu"
    response = post_registration(client, name=typed)
    assert response.status_code in (200, 302)
    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        assert message is not None
        assert "bedrageri" not in message.body_text
        assert "bedrageri" not in (message.body_html or "")
        assert "Hej" in message.body_text or "Hello" in message.body_text
