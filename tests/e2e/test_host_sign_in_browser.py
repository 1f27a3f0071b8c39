"""A host signs in with a link emailed to a real SMTP server, answers yes to a match and then
sees how to reach the newcomer."""

from __future__ import annotations

import re

import pytest

from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.services import matches as service
from tests.conftest import axe_violations, format_violations
from tests.integration.matches_support import (
    add_host,
    add_newcomer,
    body_text,
    deliver,
    settings,
    system,
)

pytestmark = pytest.mark.browser


def test_host_signs_in_by_link_and_sees_contact_after_accepting(
    app, live_server, page, smtp_server, make_user
):
    app.config["PUBLIC_BASE_URL"] = live_server.url
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=user.email)
    newcomer = add_newcomer(app)
    with app.app_context():
        service.assign_other_host(
            db.session, system(), newcomer, host, now=utcnow(), settings=settings(app)
        )
        db.session.commit()
    deliver(app, smtp_server)
    smtp_server.wait_for(1)  # the match email

    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name="Är du värd? Logga in med en länk i e-post").click()
    page.get_by_label("E-postadress").fill("karin.berg@avesta.example")
    page.get_by_role("button", name="Skicka länken").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Titta i din e-post"
    deliver(app, smtp_server)
    mail = smtp_server.wait_for(2)[1]
    assert mail["Subject"] == "Din inloggningslänk till AvestaVärd"
    link = re.search(r"https?://\S+/login/link/\S+", body_text(mail))
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Logga in i AvestaVärd").click()
    page.wait_for_url("**/host/")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.get_by_role("link", name="Vill du bli AvestaVärd för Amira?").click()
    page.get_by_role("button", name="Ja, jag vill bli AvestaVärd för Amira").click()
    contact = page.locator("#newcomer-contact")
    assert "amira.haddad@example.org" in contact.inner_text()
    assert "+46709876543" in contact.inner_text()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
