"""Newcomer registration at /register: languages, validation, CSRF expiry, confirmation by
email (signed link) or by a coordinator (phone only), repeated registration, rate limit,
framing headers and the audit log."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import (
    AuditEvent,
    Newcomer,
    NewcomerStatus,
    OutboxMessage,
    RegistrationConfirmation,
)
from avestavard.services.profiles import RegistrationSettings, check_confirmation_token
from tests.conftest import csrf_token_from, login

VALID = {
    "name": "Amira Haddad",
    "email": "Amira.Haddad@Example.org ",
    "phone": "",
    "preferred_language": "en",
    "moved_in": "2026-09-01",
    "area": "Krylbo",
    "street_address": "Storgatan 3",
    "household": "family",
    "birth_year": "1990",
    "languages": ["ar", "en"],
    "interests": "fiske, matlagning; fotboll",
    "past": "I worked as an engineer in Aleppo.",
    "present": "I live in Krylbo with my family.",
    "future": "I want to practise Swedish.",
    "wishes": "Someone with children.",
    "privacy_consent": "y",
}


def post_registration(client: Any, lang: str = "sv", **changes: Any) -> Any:
    """Fill the real form (with its CSRF token) and send it."""
    page = client.get(f"/register?lang={lang}")
    data = {**VALID, **changes, "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    return client.post("/register", data={k: v for k, v in data.items() if v is not None})


def confirm_link(message: OutboxMessage) -> str:
    """The path of the confirmation link in an outbox message's text."""
    match = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def outbox(app: Any) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def newcomers(app: Any) -> list[Newcomer]:
    with app.app_context():
        rows = db.session.scalars(select(Newcomer).order_by(Newcomer.id)).all()
        db.session.expunge_all()
        return list(rows)


def audit_actions(app: Any, subject_type: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_type == subject_type)
                .order_by(AuditEvent.id)
            )
        )


# --------------------------------------------------------------------------- the page


@pytest.mark.parametrize(
    ("lang", "heading", "label", "direction"),
    [
        ("sv", "Anmäl dig till AvestaVärd", "Datum då du flyttade hit", "ltr"),
        ("en", "Sign up for AvestaVärd", "Date you moved here", "ltr"),
        ("ar", "سجّل في AvestaVärd", "تاريخ انتقالك إلى هنا", "rtl"),
    ],
)
def test_page_is_translated(client, lang, heading, label, direction):
    html = unescape(client.get(f"/register?lang={lang}").get_data(as_text=True))
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert heading in html
    assert label in html
    # the areas come from configuration
    assert "Horndal" in html and "Näs kungsgård" in html


def test_languages_are_named_in_the_reader_language(client):
    sv = unescape(client.get("/register?lang=sv").get_data(as_text=True))
    en = unescape(client.get("/register?lang=en").get_data(as_text=True))
    ar = unescape(client.get("/register?lang=ar").get_data(as_text=True))
    assert "Somaliska" in sv and "Somali" in en and "الصومالية" in ar
    assert 'value="so"' in sv


def test_privacy_notice_and_sensitive_data_warning(client, app):
    html = unescape(client.get("/register").get_data(as_text=True))
    assert "Personuppgiftsansvarig är Avesta kommun." in html
    assert f"Version {app.config['PRIVACY_NOTICE_VERSION']}" in html
    assert "raderas den efter 3 månader" in html
    assert "Skriv inte om hälsa, religion eller etnisk bakgrund" in html
    # every free-text question points screen readers to the warning
    for name in ("past", "present", "future", "wishes"):
        tag = re.search(rf'<textarea[^>]*id="{name}"[^>]*>', html)
        assert tag and "sensitive-warning" in tag.group(0)


def test_register_page_may_be_framed_by_the_municipality_only(client, app):
    response = client.get("/register")
    csp = response.headers["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", csp).group(1).split()
    assert ancestors == ["'self'", *app.config["FRAME_ANCESTORS"]]
    assert "X-Frame-Options" not in response.headers
    # every other page refuses to be framed
    other = client.get("/login")
    assert "frame-ancestors 'none'" in other.headers["Content-Security-Policy"]
    assert other.headers["X-Frame-Options"] == "DENY"


# --------------------------------------------------------------------------- validation


def test_errors_are_shown_next_to_fields_and_typed_values_kept(client, app):
    response = post_registration(
        client, email="not-an-email", phone="12", area="", birth_year="3001", privacy_consent=None
    )
    assert response.status_code == 400
    html = unescape(response.get_data(as_text=True))
    errors = dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]+)</p>', html))
    assert errors["email"] == "Skriv en giltig e-postadress, till exempel namn@exempel.se."
    assert errors["phone"] == "Skriv ett giltigt telefonnummer, till exempel 070-123 45 67."
    assert errors["area"] == "Välj det område du bor i."
    assert errors["birth_year"] == "Skriv födelseåret med fyra siffror, till exempel 1985."
    assert errors["privacy_consent"] == "Kryssa i rutan för att kunna skicka anmälan."
    # what was typed is still there
    assert 'value="Amira Haddad"' in html
    assert 'value="not-an-email"' in html
    assert "I worked as an engineer in Aleppo." in html
    assert re.search(r'value="family"[^>]*checked|checked[^>]*value="family"', html)
    assert re.search(r'value="ar"[^>]*checked|checked[^>]*value="ar"', html)
    assert 'value="fiske, matlagning; fotboll"' in html
    # and nothing was saved
    assert newcomers(app) == []


def test_email_or_phone_is_required(client, app):
    response = post_registration(client, email="", phone="")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Fyll i e-postadress eller telefonnummer, så att vi kan nå dig." in html
    assert newcomers(app) == []


def test_errors_are_translated_to_arabic(client):
    response = post_registration(client, lang="ar", name="", area="")
    html = unescape(response.get_data(as_text=True))
    assert 'dir="rtl"' in html
    assert "اكتب اسمك." in html
    assert "اختر المنطقة التي تسكن فيها." in html


class TestExpiredForm:
    @pytest.fixture
    def app_overrides(self):
        return {"WTF_CSRF_TIME_LIMIT": 1}

    def test_expired_csrf_token_keeps_what_was_typed(self, client, app):
        page = client.get("/register")
        token = csrf_token_from(page.get_data(as_text=True))
        time.sleep(2.1)  # the token is now older than WTF_CSRF_TIME_LIMIT
        response = client.post("/register", data={**VALID, "csrf_token": token})
        assert response.status_code == 400
        html = unescape(response.get_data(as_text=True))
        assert "Formuläret hade gått ut. Uppgifterna finns kvar – skicka igen." in html
        assert 'value="Amira Haddad"' in html
        assert "I worked as an engineer in Aleppo." in html
        assert newcomers(app) == []
        # sending the same form again with the fresh token works
        fresh = csrf_token_from(html)
        assert fresh != token
        again = client.post("/register", data={**VALID, "csrf_token": fresh})
        assert again.status_code == 302
        assert [n.name for n in newcomers(app)] == ["Amira Haddad"]


def test_missing_session_csrf_still_keeps_values(app):
    # A browser that lost its session cookie (or a form left open for days)
    first = app.test_client()
    token = csrf_token_from(first.get("/register").get_data(as_text=True))
    other = app.test_client()
    response = other.post("/register", data={**VALID, "csrf_token": token})
    assert response.status_code == 400
    assert 'value="Amira Haddad"' in response.get_data(as_text=True)


def test_each_visitor_gets_their_own_token_on_the_page_served_from_memory(app, make_user):
    # The blank page is rendered once per language; what differs between visitors is the
    # token, the menu of a signed-in user and a message waiting to be shown.
    first, second = app.test_client(), app.test_client()
    pages = [c.get("/register?lang=sv").get_data(as_text=True) for c in (first, second)]
    tokens = [csrf_token_from(page) for page in pages]
    assert tokens[0] != tokens[1]
    assert pages[0].replace(tokens[0], "") == pages[1].replace(tokens[1], "")
    for client, token in ((second, tokens[1]), (first, tokens[0])):
        data = {**VALID, "email": f"{client is first}@example.org", "csrf_token": token}
        assert client.post("/register", data=data).status_code == 302
    arabic = second.get("/register?lang=ar").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in arabic and "Logga ut" not in arabic

    staff = app.test_client()
    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    assert login(staff, coordinator.email).status_code == 302
    with staff.session_transaction() as session:
        session["_flashes"] = [("info", "Ett meddelande till dig")]
    page = staff.get("/register?lang=sv").get_data(as_text=True)
    assert "Logga ut" in page and "Ett meddelande till dig" in page
    assert "Logga ut" not in first.get("/register?lang=sv").get_data(as_text=True)


# --------------------------------------------------------------------------- email confirmation


def test_email_registration_waits_for_the_signed_link(client, app, make_user):
    response = post_registration(client, lang="en")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/thanks?via=email")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "We have sent you an email" in thanks

    [newcomer] = newcomers(app)
    assert newcomer.email == "amira.haddad@example.org"
    assert newcomer.status == NewcomerStatus.UNCONFIRMED
    assert newcomer.privacy_notice_version == app.config["PRIVACY_NOTICE_VERSION"]
    assert newcomer.languages == ["ar", "en"]
    assert newcomer.interests_raw == ["fiske", "matlagning", "fotboll"]
    assert newcomer.preferred_language == "en"
    assert newcomer.letters_by_email is True

    [mail] = outbox(app)
    assert mail.to_address == "amira.haddad@example.org"
    assert mail.subject == "Confirm your registration with AvestaVärd"
    assert mail.body_text.startswith("Hello!")  # never the typed name: see defect 16
    assert mail.body_html and confirm_link(mail).split("?")[0] in mail.body_html
    link = confirm_link(mail)
    assert link.endswith("?lang=en")

    # the coordinator's list shows the newcomer as not confirmed yet
    coordinator = app.test_client()
    login(coordinator, make_user("coordinator").email)
    listing = unescape(coordinator.get("/coordinator/").get_data(as_text=True))
    row = re.search(r"<tr><td>.*?Amira Haddad.*?</tr>", listing, re.S).group(0)
    assert "Ej bekräftad" in row

    # opening the link does not confirm (mail scanners open links); the button does
    page = client.get(link)
    assert page.status_code == 200
    assert newcomers(app)[0].status == NewcomerStatus.UNCONFIRMED
    token = csrf_token_from(page.get_data(as_text=True))
    done = client.post(link, data={"csrf_token": token})
    assert done.status_code == 200
    assert "Your registration is confirmed" in done.get_data(as_text=True)
    [newcomer] = newcomers(app)
    assert newcomer.status == NewcomerStatus.WAITING
    assert newcomer.confirmed_at is not None

    listing = unescape(coordinator.get("/coordinator/").get_data(as_text=True))
    row = re.search(r"<tr><td>.*?Amira Haddad.*?</tr>", listing, re.S).group(0)
    assert "Väntar på värd" in row

    # a link works once
    again = client.post(link, data={"csrf_token": token})
    assert again.status_code == 400
    assert audit_actions(app, "newcomer")[:2] == ["register", "confirm"]


def test_forged_and_expired_links_are_refused(client, app):
    post_registration(client)
    link = confirm_link(outbox(app)[0])
    token = link.split("/register/confirm/")[1].split("?")[0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/register/confirm/{forged}").status_code == 400
    with app.app_context():
        settings = RegistrationSettings.from_config(app.config)
        later = datetime.now(UTC) + settings.confirm_max_age + timedelta(minutes=1)
        with pytest.raises(Exception, match="Länken fungerar inte längre"):
            check_confirmation_token(db.session, token, now=later, settings=settings)
        assert check_confirmation_token(db.session, token, now=datetime.now(UTC), settings=settings)


def test_the_same_email_again_waits_for_the_new_link(client, app):
    post_registration(client)
    first_link = confirm_link(outbox(app)[0])
    post_registration(client, name="Amira H. Haddad", area="Fors", email="amira.haddad@example.org")
    [newcomer] = newcomers(app)
    assert (newcomer.name, newcomer.area) == ("Amira Haddad", "Krylbo")  # staged, not applied
    assert len(outbox(app)) == 2
    assert client.get(first_link).status_code == 200  # the first link still works
    second_link = confirm_link(outbox(app)[1])
    token = csrf_token_from(client.get(second_link).get_data(as_text=True))
    assert client.post(second_link, data={"csrf_token": token}).status_code == 200
    [newcomer] = newcomers(app)
    assert newcomer.status == NewcomerStatus.WAITING
    assert (newcomer.name, newcomer.area) == ("Amira H. Haddad", "Fors")
    # confirmed now: the first link has nothing left to confirm
    assert client.get(first_link).status_code == 400


def test_changes_to_a_confirmed_registration_wait_for_the_email_owner(client, app):
    post_registration(client)
    link = confirm_link(outbox(app)[0])
    client.post(link, data={"csrf_token": csrf_token_from(client.get(link).get_data(as_text=True))})
    confirmed_at = newcomers(app)[0].confirmed_at

    # someone who knows the address sends other details
    stranger = app.test_client()
    assert post_registration(stranger, name="Somebody Else", area="Fors").status_code == 302
    [newcomer] = newcomers(app)
    assert newcomer.name == "Amira Haddad"  # nothing changed yet
    assert newcomer.status == NewcomerStatus.WAITING
    mail = outbox(app)[-1]
    assert "nya uppgifter" in mail.body_text or "new details" in mail.body_text
    change_link = confirm_link(mail)
    token = csrf_token_from(client.get(change_link).get_data(as_text=True))
    client.post(change_link, data={"csrf_token": token})
    [newcomer] = newcomers(app)
    assert (newcomer.name, newcomer.area) == ("Somebody Else", "Fors")
    assert newcomer.confirmed_at == confirmed_at  # keeps the place in the queue


# --------------------------------------------------------------------------- phone only


def test_phone_only_registration_waits_for_a_coordinator(client, app, make_user):
    response = post_registration(client, email="", phone="070-123 45 67", street_address="")
    assert response.headers["Location"].endswith("/register/thanks?via=phone")
    assert "ringer dig" in client.get(response.headers["Location"]).get_data(as_text=True)
    [newcomer] = newcomers(app)
    assert newcomer.phone == "+46701234567"
    assert newcomer.status == NewcomerStatus.UNCONFIRMED
    assert outbox(app) == []

    # the same phone again is a registration of its own: nobody proves owning a number on a
    # form, so the first one's answers stay as they were and the coordinator who calls sees both
    post_registration(client, email="", phone="+46 70 123 45 67", area="Fors")
    assert [(n.phone, n.area) for n in newcomers(app)] == [
        ("+46701234567", "Krylbo"),
        ("+46701234567", "Fors"),
    ]

    second = newcomers(app)[1]

    coordinator = app.test_client()
    login(coordinator, make_user("coordinator").email)
    detail = coordinator.get(f"/coordinator/newcomers/{newcomer.id}")
    assert "Markera som bekräftad" in detail.get_data(as_text=True)
    # the coordinator who calls sees the other registration with the number
    same_phone = re.search(
        r'<div id="same-phone">.*?</div>', detail.get_data(as_text=True), re.S
    ).group(0)
    assert f'href="/coordinator/newcomers/{second.id}"' in same_phone
    assert f'/coordinator/newcomers/{newcomer.id}"' not in same_phone
    token = csrf_token_from(detail.get_data(as_text=True))
    confirmed = coordinator.post(
        f"/coordinator/newcomers/{newcomer.id}/confirm", data={"csrf_token": token}
    )
    assert confirmed.status_code == 302
    assert newcomers(app)[0].status == NewcomerStatus.WAITING
    assert audit_actions(app, "newcomer") == ["register", "register", "view", "confirm"]
    # confirmed: the other registration no longer points at it
    other = coordinator.get(f"/coordinator/newcomers/{second.id}").get_data(as_text=True)
    assert 'id="same-phone"' not in other


# --------------------------------------------------------------------------- rate limit


class TestRateLimit:
    @pytest.fixture
    def app_overrides(self):
        return {"REGISTER_RATE_LIMIT": "2 per hour"}

    def test_registrations_per_address_are_limited(self, client, app):
        assert post_registration(client, email="a@example.org").status_code == 302
        # a form with mistakes does not count
        assert post_registration(client, email="b@example.org", area="").status_code == 400
        assert post_registration(client, email="b@example.org").status_code == 302
        blocked = post_registration(client, email="c@example.org")
        assert blocked.status_code == 429
        assert "För många försök" in blocked.get_data(as_text=True)
        # the error page may still be shown inside the municipality's frame
        assert (
            "frame-ancestors 'self' https://www.avesta.se"
            in (blocked.headers["Content-Security-Policy"])
        )
        assert {n.email for n in newcomers(app)} == {"a@example.org", "b@example.org"}
        # reading the form is never limited
        assert client.get("/register").status_code == 200


def test_confirmation_row_is_removed_with_the_newcomer(client, app):
    post_registration(client)
    with app.app_context():
        newcomer = db.session.scalars(select(Newcomer)).one()
        db.session.delete(newcomer)
        db.session.commit()
        assert db.session.scalars(select(RegistrationConfirmation)).all() == []


def test_confirmation_email_arrives_over_smtp_and_its_link_works(client, app, smtp_server):
    from avestavard.services.mail_sender import send_due_mail

    assert post_registration(client, lang="ar", preferred_language="ar").status_code == 302
    with app.app_context():
        config = {**app.config, "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port}
        send_due_mail(db.session, datetime.now(UTC), config=config)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "amira.haddad@example.org"
    assert message["Subject"] == "أكّد تسجيلك في AvestaVärd"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html
    link = re.search(r"https?://[^/\s]+(/register/confirm/\S+)", text).group(1)
    assert link.endswith("?lang=ar")
    assert outbox(app)[0].status.value == "sent"

    # the newcomer follows the link from the email they received
    visitor = app.test_client()
    page = visitor.get(link)
    assert 'dir="rtl"' in page.get_data(as_text=True)
    visitor.post(link, data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert newcomers(app)[0].status == NewcomerStatus.WAITING
