"""Matchningens ord in Chromium: a coordinator follows a word's link to the form, teaches it by
keyboard, and the page stays axe-clean and fits a 390 px phone."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import axe_violations, format_violations, log_in_browser
from tests.integration.words_support import add_people, host_slugs

pytestmark = pytest.mark.browser


def test_teaching_a_word_in_chromium(
    app: Flask, live_server: Any, page: Any, make_user: Any
) -> None:
    ids = add_people(app)
    user = make_user("coordinator")
    base = live_server.url
    log_in_browser(page, base, user.email)
    page.goto(f"{base}/coordinator")
    page.get_by_role("link", name="Matchningens ord").click()
    assert page.locator("h1").inner_text() == "Matchningens ord"
    violations = axe_violations(page)
    assert not violations, format_violations(violations)

    # Sent empty: each field shows its error, its border in the error's colour.
    page.get_by_role("button", name="Lär matchningen ordet").click()
    assert page.locator("#word-error").inner_text() == "Skriv ordet."
    for field in ("word", "interest"):
        border, error = page.evaluate(
            """(id) => [getComputedStyle(document.getElementById(id)).borderTopColor,
                        getComputedStyle(document.getElementById(id + "-error")).color]""",
            field,
        )
        assert border == error, field

    first = page.locator("#unread-words tbody tr").first
    assert first.locator("th").inner_text() == "Krylbo IF"
    first.get_by_role("link", name="Lär matchningen ”Krylbo IF”").click()
    assert page.locator("#word").input_value() == "Krylbo IF"
    page.locator("#interest").focus()
    page.keyboard.type("Fotboll")
    assert page.locator("#interest").input_value() == "football"
    page.get_by_role("button", name="Lär matchningen ordet").press("Enter")
    page.wait_for_url(f"{base}/coordinator/matching-words")
    assert "Matchningen läser nu ”Krylbo IF” som fotboll." in page.locator("main").inner_text()
    assert page.locator("#taught-words tbody tr th").all_inner_texts() == ["Krylbo IF"]
    assert "football" in host_slugs(app, ids["lena"])
    violations = axe_violations(page)
    assert not violations, format_violations(violations)

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
