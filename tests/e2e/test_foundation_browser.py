"""The log-in page and the coordinator start page in a real browser, checked with axe-core."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, axe_violations, format_violations

pytestmark = pytest.mark.browser


def test_login_page_is_accessible_in_both_languages(live_server, page):
    for lang in ("sv", "en"):
        page.goto(f"{live_server.url}/login?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        violations = axe_violations(page)
        assert violations == [], format_violations(violations)


def test_login_error_state_is_accessible_and_announced(live_server, page, make_user):
    make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill("samordnare@avesta.example")
    page.get_by_label("Lösenord").fill("wrong-password")
    page.get_by_role("button", name="Logga in").click()
    error = page.locator("#password-error")
    assert error.inner_text() == "Fel e-postadress eller lösenord."
    assert page.get_by_label("E-postadress").input_value() == "samordnare@avesta.example"
    assert "password-error" in (
        page.get_by_label("Lösenord").get_attribute("aria-describedby") or ""
    )
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_coordinator_logs_in_with_keyboard_and_searches(live_server, page, make_user):
    make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    # the skip link is the first thing the keyboard reaches
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_label("E-postadress").fill("samordnare@avesta.example")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/coordinator/")
    assert page.get_by_role("heading", level=1).inner_text() == "Översikt"
    page.get_by_label("Sök bland värdar, nyinflyttade och hushåll").fill("Krylbo")
    page.keyboard.press("Enter")
    page.wait_for_url("**/coordinator/?q=Krylbo")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    # log out through the menu button
    page.get_by_role("button", name="Logga ut").click()
    page.goto(f"{live_server.url}/coordinator/")
    assert "/login" in page.url
