"""A coordinator writes a note on a newcomer's page in Chromium: it appears in the timeline,
in the register extract downloaded from the page, and is gone after the erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from avestavard.extensions import db
from avestavard.models import Newcomer, NewcomerStatus
from avestavard.models.notes import Note
from tests.conftest import PASSWORD, axe_violations, format_violations

pytestmark = pytest.mark.browser


def test_note_in_timeline_extract_and_gone_after_erasure(live_server, page, make_user):
    make_user("coordinator", email="samordnare@avesta.example")
    with live_server.app.app_context():
        newcomer = Newcomer(
            name="Amira Haddad",
            email="amira@example.org",
            status=NewcomerStatus.WAITING,
            registered_at=datetime(2026, 11, 2, 13, 3, tzinfo=UTC),
        )
        db.session.add(newcomer)
        db.session.commit()
        url = f"{live_server.url}/coordinator/newcomers/{newcomer.id}"
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill("samordnare@avesta.example")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/coordinator/")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    page.get_by_role("textbox", name="Anteckning").fill("Ringde i tisdags, föredrar helger.")
    with page.expect_navigation():
        page.get_by_role("button", name="Spara anteckningen").click()
    first = page.locator("#timeline li").first
    assert "Ringde i tisdags, föredrar helger." in first.inner_text()
    assert page.locator("#timeline li").last.inner_text().split("\n")[0] == "2 nov. 2026 14:03"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)

    with page.expect_download() as download:
        page.get_by_role("link", name="Registerutdrag (JSON)").click()
    extract = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert [n["text"] for n in extract["notes"]] == ["Ringde i tisdags, föredrar helger."]

    page.get_by_label("Jag förstår att uppgifterna raderas för gott.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Radera", exact=True).click()
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count(Note.id))) == 0
    assert page.goto(url).status == 404
