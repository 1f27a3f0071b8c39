"""The pages every Swedish public site must have: the accessibility statement (with a report
form that reaches the coordinators through the outbox) and the privacy page, linked from the
footer of every page and from the registration form."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import OutboxMessage
from tests.conftest import csrf_token_from


@pytest.mark.parametrize("path", ["/", "/register", "/login", "/min-anmalan", "/integritet"])
def test_every_page_links_the_statement_and_privacy(client, path):
    html = client.get(path).get_data(as_text=True)
    assert 'href="/tillganglighet"' in html and 'href="/integritet"' in html


def test_coordinator_pages_have_the_footer_too(coordinator_client):
    html = coordinator_client.get("/coordinator/").get_data(as_text=True)
    assert 'href="/tillganglighet"' in html


def test_statement_follows_diggs_model(client, app):
    html = unescape(client.get("/tillganglighet").get_data(as_text=True))
    assert "WCAG 2.1 på nivå AA" in html
    assert "Det här fungerar inte än" in html  # what is known not to meet it
    assert 'href="https://www.digg.se/tdosanmalan"' in html  # the supervisory authority
    assert app.config["ACCESSIBILITY_REVIEWED"] in html
    assert 'id="description"' in html  # how to report a problem


def test_report_reaches_the_coordinators_through_the_outbox(client, app):
    page = client.get("/tillganglighet?sida=/register").get_data(as_text=True)
    assert 'value="/register"' in page
    response = client.post(
        "/tillganglighet?lang=en",
        data={
            "csrf_token": csrf_token_from(page),
            "page": "/register",
            "description": "The date field is hard to use with my screen reader.",
            "email": "reader@example.org",
        },
    )
    assert response.status_code == 302
    assert "Thank you" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        (mail,) = db.session.scalars(select(OutboxMessage)).all()
        assert mail.to_address == app.config["MAIL_REPLY_TO"]
        assert "hard to use with my screen reader" in mail.body_text
        assert "/register" in mail.body_text and "en" in mail.body_text
        assert mail.headers["Reply-To"] == "reader@example.org"


def test_report_errors_are_shown_next_to_the_fields(client, app):
    page = client.get("/tillganglighet").get_data(as_text=True)
    response = client.post(
        "/tillganglighet",
        data={"csrf_token": csrf_token_from(page), "description": "", "email": "not-an-address"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="description-error"' in html
    page = client.get("/tillganglighet").get_data(as_text=True)
    response = client.post(
        "/tillganglighet",
        data={"csrf_token": csrf_token_from(page), "description": "Svårt", "email": "x@"},
    )
    assert response.status_code == 400 and 'id="email-error"' in response.get_data(as_text=True)
    assert 'value="x@"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []


def test_privacy_page_says_what_the_law_asks(client, app):
    html = unescape(client.get("/integritet").get_data(as_text=True))
    assert "Personuppgiftsansvarig är Avesta kommun." in html
    assert "samtycke" in html  # legal basis
    assert "raderas den efter 3 månader" in html and "efter 24 månader" in html
    assert "Integritetsskyddsmyndigheten" in html
    assert app.config["MAIL_REPLY_TO"] in html
    assert f"Version {app.config['PRIVACY_NOTICE_VERSION']}" in html


def test_registration_form_links_to_the_privacy_page(client):
    html = client.get("/register").get_data(as_text=True)
    assert html.count('href="/integritet"') >= 2  # in the form and in the footer


@pytest.mark.parametrize(
    ("lang", "direction", "subject"),
    [
        ("fa", "rtl", "ثبت‌نام خود در AvestaVärd را تأیید کنید"),
        ("so", "ltr", "Xaqiiji diiwaangelintaada AvestaVärd"),
        ("ti", "ltr", "ምዝገባኻ ኣብ AvestaVärd ኣረጋግጽ"),
        ("uk", "ltr", "Підтвердіть свою реєстрацію в AvestaVärd"),
    ],
)
def test_newcomer_emails_come_in_the_chosen_language(client, app, lang, direction, subject):
    from tests.integration.test_profiles_register import post_registration

    assert post_registration(client, lang=lang, preferred_language=lang).status_code == 302
    with app.app_context():
        (mail,) = db.session.scalars(select(OutboxMessage)).all()
        assert mail.subject == subject
        assert mail.headers["Content-Language"] == lang
        assert f'dir="{direction}"' in mail.body_html
        assert "/min-anmalan/" in mail.body_text and f"?lang={lang}" in mail.body_text
