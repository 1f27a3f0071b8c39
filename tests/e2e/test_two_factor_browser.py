"""Two-factor sign-in in a real browser: a coordinator enrols right after the password (QR code,
key, first code, recovery codes) and signs in again with a code, each page checked with axe-core
(WCAG 2.1 A/AA) at a phone's width and a desk's, in Swedish and English."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.conftest import PASSWORD, axe_violations, format_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides():
    return {"MFA_REQUIRED_ROLES": ["admin", "coordinator"]}


def assert_accessible(page) -> None:
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        violations = axe_violations(page)
        assert violations == [], f"{width}px: " + format_violations(violations)


def password_step(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()


def test_a_coordinator_enrols_after_the_password_and_signs_in_with_a_code(
    live_server, page, make_user
):
    base = live_server.url
    make_user("coordinator", email="kim@avesta.example", name="Kim Lind")
    password_step(page, base, "kim@avesta.example")
    page.wait_for_url(f"{base}/account/two-factor/setup")
    assert page.get_by_role("heading", level=1).inner_text() == "Slå på tvåstegsinloggning"
    qr = page.get_by_role("img", name="QR-kod att skanna med appen")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100
    assert_accessible(page)

    # the half-signed-in browser reaches nothing else
    page.goto(f"{base}/coordinator/")
    assert "/login" in page.url
    page.goto(f"{base}/account/two-factor/setup")

    secret = "".join(page.locator(".secret-key code").all_inner_texts())
    assert len(secret) == 32
    page.get_by_label("Kod från appen").fill("000000")
    page.get_by_role("button", name="Slå på tvåstegsinloggning").click()
    assert page.locator("#code-error").inner_text().startswith("Koden stämmer inte")
    assert_accessible(page)
    page.get_by_label("Kod från appen").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Slå på tvåstegsinloggning").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dina reservkoder"
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_accessible(page)
    page.get_by_role("link", name="Jag har sparat koderna – fortsätt").click()
    page.wait_for_url(f"{base}/coordinator/")

    page.get_by_role("button", name="Logga ut").click()
    password_step(page, base, "kim@avesta.example")
    page.wait_for_url(f"{base}/login/code")
    assert page.get_by_role("heading", level=1).inner_text() == "Kod från appen"
    assert_accessible(page)
    page.goto(f"{base}/login/code?lang=en")
    assert page.get_by_role("heading", level=1).inner_text() == "Code from the app"
    assert_accessible(page)
    # the enrolment used this time step's code, so the next one signs in
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/coordinator/")

    page.goto(f"{base}/account/two-factor?lang=sv")
    assert "Du har 10 oanvända reservkoder." in page.locator("main").inner_text()
    assert_accessible(page)
