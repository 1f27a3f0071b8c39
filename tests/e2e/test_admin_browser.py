"""The administrator's pages in a real browser: accounts, the set-password link and the audit
log, each checked with axe-core (WCAG 2.1 A/AA), also in their error states."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

import avestavard.auth.password  # noqa: F401  (registers /password/<token> until the app does)
from tests.conftest import axe_violations, format_violations, log_in_browser

pytestmark = pytest.mark.browser

NEW_PASSWORD = "tre ord och en siffra 7"


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_administrator_creates_an_account_and_its_owner_sets_the_password(
    live_server, page, browser, make_user
):
    base = live_server.url
    make_user("admin", email="anna.admin@avesta.example", name="Anna Admin")
    make_user("coordinator", email="kim@avesta.example", name="Kim Lind")
    log_in_browser(page, base, "anna.admin@avesta.example")

    page.get_by_role("link", name="Konton").click()
    page.wait_for_url(f"{base}/admin/users")
    assert page.get_by_role("heading", level=1).inner_text() == "Konton"
    assert page.get_by_role("cell", name="kim@avesta.example", exact=True).is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Nytt konto").click()
    assert_accessible(page)
    # Sent empty: the errors are announced, next to their fields, and the page stays accessible.
    page.get_by_role("button", name="Skapa konto").click()
    assert page.locator("#name-error").inner_text() == "Fyll i namnet."
    assert page.evaluate("document.activeElement.id") in ("error-summary", "")
    assert "name-error" in (page.get_by_label("Namn").get_attribute("aria-describedby") or "")
    assert_accessible(page)

    page.get_by_label("Namn").fill("Eva Ek")
    page.get_by_label("E-postadress").fill("eva.ek@avesta.example")
    page.get_by_label("Samordnare").check()
    page.get_by_role("button", name="Skapa konto").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Kontot är skapat"
    link = page.get_by_label("Länk för att välja lösenord").input_value()
    assert re.fullmatch(r"https?://[^/]+/password/\S+", link)
    assert_accessible(page)

    # The audit log, filtered on the new account, and a filter that cannot be read.
    page.goto(f"{base}/admin/audit")
    assert_accessible(page)
    page.get_by_label("Person").fill("Eva")
    page.get_by_role("button", name="Visa", exact=True).click()
    assert page.locator("#person-error").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Rensa filtren").click()
    page.get_by_label("Händelse", exact=True).select_option(label="Skapade konto")
    page.get_by_role("button", name="Visa", exact=True).click()
    rows = page.locator("table.audit tbody tr")
    assert rows.count() == 1
    assert "anna.admin@avesta.example" in rows.first.inner_text()
    assert_accessible(page)

    # Eva opens the link in her own browser.
    context = browser.new_context(locale="sv-SE")
    try:
        eva = context.new_page()
        eva.goto(base + urlsplit(link).path)
        assert eva.get_by_role("heading", level=1).inner_text() == "Välj lösenord"
        assert_accessible(eva)
        eva.get_by_label("Nytt lösenord", exact=True).fill(NEW_PASSWORD)
        eva.get_by_label("Nytt lösenord igen").fill("något annat lösenord")
        eva.get_by_role("button", name="Spara lösenordet").click()
        assert "inte likadana" in eva.locator("#password_again-error").inner_text()
        assert_accessible(eva)
        eva.get_by_label("Nytt lösenord", exact=True).fill(NEW_PASSWORD)
        eva.get_by_label("Nytt lösenord igen").fill(NEW_PASSWORD)
        eva.get_by_role("button", name="Spara lösenordet").click()
        eva.wait_for_url(f"{base}/login")
        assert "Ditt lösenord är sparat" in eva.locator(".flashes").inner_text()
        log_in_browser(eva, base, "eva.ek@avesta.example", NEW_PASSWORD)
        # The link is spent.
        eva.goto(base + urlsplit(link).path)
        assert eva.get_by_role("heading", level=1).inner_text() == "Länken fungerar inte"
        assert_accessible(eva)
    finally:
        context.close()


def test_a_coordinator_opens_a_persons_log_and_the_new_newcomer_form(live_server, page, make_user):
    base = live_server.url
    make_user("coordinator", email="samordnare@avesta.example")
    log_in_browser(page, base, "samordnare@avesta.example")
    page.goto(f"{base}/coordinator/newcomers/new")
    assert page.get_by_role("heading", level=1).inner_text() == "Ny nyinflyttad"
    assert_accessible(page)
    page.get_by_role("button", name="Spara").click()
    assert page.locator("#name-error").is_visible()
    assert_accessible(page)
    page.get_by_label("Namn").fill("Amira Haddad")
    page.get_by_label("Telefonnummer").fill("073-555 12 34")
    page.get_by_label("Jag har berättat").check()
    page.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(r".*/coordinator/newcomers/\d+$"))
    newcomer_id = page.url.rsplit("/", 1)[1]

    page.get_by_role("link", name="Visa logg").click()
    assert page.url.endswith(f"/admin/audit?newcomer={newcomer_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Logg: Amira Haddad (nyinflyttad)"
    # The same person found by typing her phone number in the person filter.
    page.get_by_role("link", name="Rensa filtren").click()
    page.get_by_label("Person").fill("0735551234")
    page.get_by_role("button", name="Visa", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Logg: Amira Haddad (nyinflyttad)"
    actions = page.locator("table.audit tbody tr td:nth-child(3)").all_inner_texts()
    assert actions == ["Läste loggen", "Visade", "Skapade"]  # the first reading is logged too
    assert_accessible(page)
