"""In Chromium at phone and desktop width, in Swedish and English: the letter preview (sample
household, then a real one found by search) and the host's match page with the reasons written
to the host; axe-core finds no WCAG 2.1 A/AA violation and nothing scrolls sideways."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.services import matches as service
from tests.conftest import axe_violations, format_violations, log_in_browser
from tests.integration.letters_support import HEADER, import_bytes, personal_number
from tests.integration.matches_support import (
    NOW,
    add_host,
    add_newcomer,
    open_proposal,
    recompute,
    settings,
    system,
)

pytestmark = pytest.mark.browser
WIDTHS = (390, 1280)
# Set AVESTAVARD_SCREENSHOTS to a folder to keep a picture of each page checked.
SHOTS = os.environ.get("AVESTAVARD_SCREENSHOTS", "")


def _check(page: Any, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"
        violations = axe_violations(page)
        assert violations == [], f"{name} at {width} px:\n" + format_violations(violations)
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


def test_letter_preview_pages(app, live_server, page, make_user):
    user = make_user("coordinator", email="samordnare@avesta.example")
    rows = [
        (personal_number(date(1985, 4, 2), 31), "Anna", "Berg"),
        (personal_number(date(1984, 9, 9), 32), "Jan", "Berg"),
    ]
    extract = [HEADER] + [
        f"{pnr};{first};{last};;Storgatan 1;774 30;AVESTA;2026-11-20;Falun"
        for pnr, first, last in rows
    ]
    import_bytes(app, ("\n".join(extract) + "\n").encode("utf-8"), today=date(2026, 11, 28))
    log_in_browser(page, live_server.url, user.email)
    for lang in ("sv", "en"):
        page.goto(f"{live_server.url}/coordinator/letters/preview?lang={lang}")
        assert "Exempel" in page.locator("#preview-whose").inner_text()
        _check(page, f"letters-preview-sample-{lang}")
        page.locator("#q").fill("Berg")
        page.locator("#q").press("Enter")
        page.locator("#preview-households a").first.click()
        page.wait_for_load_state()
        assert "Anna" in page.locator("#preview-whose").inner_text()
        _check(page, f"letters-preview-household-{lang}")


def test_host_match_page_with_reasons(app, live_server, page, make_user):
    user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, interests=("fiske", "körsång"), user_email=user.email)
    newcomer = add_newcomer(app, interests=("fiske", "matlagning"))
    recompute(app, NOW)
    app.config["MAIL_HOLD_SECONDS"] = 0
    with app.app_context():
        match = service.approve_match(
            db.session,
            system(),
            open_proposal(app, newcomer, host),
            now=utcnow(),
            settings=settings(app),
        )
        db.session.commit()
        match_id = match.id
    log_in_browser(page, live_server.url, user.email)
    expected = {"sv": "Ni gillar båda fiske", "en": "You both enjoy fishing"}
    for lang, words in expected.items():
        page.goto(f"{live_server.url}/host/matches/{match_id}?lang={lang}")
        assert words in page.locator("ul.reasons").inner_text()
        _check(page, f"host-match-{lang}")
