"""Sending with care, in Chromium with a real SMTP server: the host's email previewed with a
personal note and held before it goes, an approval undone within the hold, and five proposals
approved at once (one undo for all of them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from avestavard.models import utcnow
from tests.conftest import PASSWORD, axe_violations, format_violations
from tests.integration.matches_support import add_host, add_newcomer, body_text, deliver, recompute

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"MAIL_HOLD_SECONDS": 600, "RATELIMIT_ENABLED": False}


def _no_violations(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def _log_in(page: Any, base: str, make_user: Any) -> None:
    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{base}/login")
    page.get_by_label("E-postadress").fill(coordinator.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def test_approve_with_a_personal_note(app, live_server, page, smtp_server, make_user):
    app.config["PUBLIC_BASE_URL"] = live_server.url
    add_host(app)
    add_newcomer(app)
    recompute(app, utcnow())
    _log_in(page, live_server.url, make_user)
    page.goto(f"{live_server.url}/coordinator/to-match")
    page.get_by_role("link", name="Godkänn Karin för Amira").click()
    assert page.locator("#preview-to").inner_text() == "karin.berg@avesta.example"
    assert "Hej Karin!" in page.locator("#preview-body").inner_text()
    note = "Amira fiskar gärna i Dalälven, precis som du. Hör av dig om du har frågor!"
    page.get_by_label("Personlig hälsning till värden (valfritt)").fill(note)
    page.get_by_role("button", name="Visa mejlet med hälsningen").click()
    assert note in page.locator("#preview-body").inner_text()
    _no_violations(page)
    page.get_by_role("button", name="Skicka", exact=True).click()
    page.wait_for_url("**/coordinator/matches/*")
    assert page.locator("#match-state").inner_text() == "Godkänd, mejlet till värden väntar"
    assert page.get_by_role("button", name="Ångra godkännandet").is_visible()
    _no_violations(page)

    # The sender running during the hold sends nothing; after it, the mail holds the note.
    assert deliver(app, smtp_server, utcnow() + timedelta(minutes=5)).claimed == 0
    assert deliver(app, smtp_server, utcnow() + timedelta(minutes=11)).sent == 1
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "karin.berg@avesta.example"
    assert note in body_text(mail)


def test_approve_and_undo_sends_nothing(app, live_server, page, smtp_server, make_user):
    add_host(app)
    add_newcomer(app)
    recompute(app, utcnow())
    _log_in(page, live_server.url, make_user)
    page.goto(f"{live_server.url}/coordinator/to-match")
    page.get_by_role("link", name="Godkänn Karin för Amira").click()
    page.get_by_role("button", name="Skicka", exact=True).click()
    page.wait_for_url("**/coordinator/matches/*")
    page.get_by_role("button", name="Ångra godkännandet").click()
    page.wait_for_url("**/coordinator/to-match*")
    assert "Godkännandet är ångrat" in page.locator(".flashes").inner_text()
    section = page.locator("section.to-match", has_text="Amira Haddad")
    assert section.get_by_role("link", name="Godkänn Karin för Amira").is_visible()
    assert deliver(app, smtp_server, utcnow() + timedelta(hours=1)).claimed == 0
    assert smtp_server.messages == []


def test_bulk_approval_of_five(app, live_server, page, smtp_server, make_user):
    names = ["Amira Haddad", "Olena Shevchenko", "Ali Rahimi", "Sara Nilsson", "Juan Pérez"]
    hosts = ["Karin Berg", "Lars Holm", "Eva Lund", "Per Ek", "Maja Sten"]
    for number, (newcomer, host) in enumerate(zip(names, hosts, strict=True)):
        add_host(app, host, email=f"vard{number}@avesta.example", area="Krylbo")
        add_newcomer(app, newcomer, email=f"ny{number}@example.org")
    recompute(app, utcnow())
    _log_in(page, live_server.url, make_user)
    page.goto(f"{live_server.url}/coordinator/to-match")
    boxes = page.locator("input[name=proposal]")
    assert boxes.count() == 5
    for index in range(5):
        boxes.nth(index).check()
    page.get_by_role("button", name="Granska och godkänn de valda").click()
    page.wait_for_url("**/to-match/review*")
    assert page.locator("#bulk-list tbody tr").count() == 5
    _no_violations(page)
    page.get_by_role("button", name="Skicka alla 5").click()
    page.wait_for_url("**/coordinator/to-match")
    assert "5 matchningar är godkända" in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Ångra alla 5").is_visible()
    _no_violations(page)
    assert deliver(app, smtp_server, utcnow() + timedelta(minutes=5)).claimed == 0
    assert deliver(app, smtp_server, utcnow() + timedelta(minutes=11)).sent == 5
    received = smtp_server.wait_for(5)
    assert sorted(m["To"] for m in received) == [f"vard{n}@avesta.example" for n in range(5)]
