"""A coordinator finds Åsa Öberg from the search box however the name or number is typed."""

from __future__ import annotations

import pytest

from avestavard.extensions import db
from avestavard.models import Host
from tests.conftest import PASSWORD, axe_violations, format_violations

pytestmark = pytest.mark.browser


def test_search_box_finds_asa_oberg(live_server, page, make_user):
    make_user("coordinator", email="samordnare@avesta.example")
    with live_server.app.app_context():
        db.session.add_all(
            [
                Host(
                    name="Åsa Öberg",
                    phone="+46701184435",
                    area="Krylbo",
                    interests_raw=["fotografering"],
                ),
                Host(name="Olle Berglund", phone="+46706123100", area="Fors"),
            ]
        )
        db.session.commit()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill("samordnare@avesta.example")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/coordinator/")
    for typed in (
        "öberg",
        "ÖBERG",
        "oberg",
        "ÅSA",
        "070-118 44 35",
        "0701184435",
        "+46 70 118 44 35",
        "foto",
    ):
        box = page.get_by_label("Sök bland värdar, nyinflyttade och hushåll")
        box.fill(typed)
        with page.expect_navigation():
            box.press("Enter")
        first = page.locator("#search-hits tbody tr").first
        assert first.locator("td").first.inner_text() == "Åsa Öberg", typed
        assert page.locator("#search-hits tbody tr").count() == 1, typed
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
