"""The outbox pages in Chromium: axe-core (WCAG 2.1 AA) and reflow at 320 CSS pixels (no
sideways scrolling of the page), on the list with filters and on one failed message."""

from __future__ import annotations

from typing import Any

import pytest

from avestavard.extensions import db
from avestavard.models import OutboxStatus, utcnow
from avestavard.services.mail import queue_mail
from tests.conftest import PASSWORD, axe_violations, format_violations

pytestmark = pytest.mark.browser


def _page_overflows(page: Any) -> bool:
    return bool(
        page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    )


def test_outbox_pages_are_accessible_and_reflow(app, live_server, page, make_user):
    with app.app_context():
        message = queue_mail(
            db.session,
            key="registration-confirm:0123456789abcdef0123456789abcdef",
            to="olena.shevchenko.with.a.long.address@example.org",
            subject="Bekräfta din anmälan till AvestaVärd",
            text="Hej Olena!\nBekräfta här: http://localhost/register/confirm/"
            "abcdefghijklmnopqrstuvwxyz0123456789\n",
        )
        message.status = OutboxStatus.FAILED
        message.attempts = 1
        message.last_attempt_at = utcnow()
        message.last_error = "RCPT TO: 550 5.1.1 <olena@example.org>: No such user"
        db.session.commit()
        message_id = message.id
    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(coordinator.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    for path in ("/coordinator/outbox?status=failed", f"/coordinator/outbox/{message_id}"):
        for width in (1280, 320):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}{path}")
            violations = axe_violations(page)
            assert violations == [], format_violations(violations)
            assert not _page_overflows(page), f"{path} scrolls sideways at {width} px"
    assert "abcdefghijklmnopqrstuvwxyz0123456789" not in page.locator("#message-body").inner_text()
    assert "Adressen finns inte" in page.locator("main").inner_text()


def test_match_page_after_the_introduction_is_accessible_and_reflows(
    app, live_server, page, make_user
):
    from datetime import timedelta

    from avestavard.services import matches as service
    from tests.integration.matches_support import add_host, add_newcomer, settings, system

    host = add_host(app)
    newcomer = add_newcomer(app)
    earlier = utcnow() - timedelta(days=5)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=earlier, settings=settings(app)
        )
        service.host_accept(db.session, system(), match.id, now=earlier, settings=settings(app))
        db.session.commit()
        match_id = match.id
    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(coordinator.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/coordinator/matches/{match_id}")
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)
        assert not _page_overflows(page), f"the match page scrolls sideways at {width} px"
    # The follow-up form's error state is accessible too.
    page.get_by_role("button", name="Spara svaret").click()
    assert "Välj vem som svarade." in page.locator("main").inner_text()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    page.get_by_label("Den nyinflyttade").check()
    page.get_by_label("Ja", exact=True).check()
    page.get_by_role("button", name="Spara svaret").click()
    assert "Svaret på uppföljningen är registrerat." in page.locator(".flashes").inner_text()
    assert page.locator("#match-state").inner_text() == "Har träffats"
