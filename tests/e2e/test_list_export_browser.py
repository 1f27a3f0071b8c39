"""A coordinator sorts and filters the host list in Chromium, downloads it as CSV for Excel, and
the file (read with the csv module, ';' between fields) holds the rows on the screen, in order."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from avestavard.extensions import db
from avestavard.models import Host, HostStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_sorted_filtered_list_exported_as_csv(live_server, page, make_user):
    make_user("coordinator", email="samordnare@avesta.example")
    with live_server.app.app_context():
        db.session.add_all(
            [
                Host(name="Åsa Öberg", area="Krylbo", languages=["sv", "fi"], capacity=2),
                Host(name="Bo Ek", area="Krylbo", languages=["sv"], capacity=1),
                Host(name="Örjan Ahl", area="Krylbo", languages=["sv"], capacity=3),
                Host(name="Cecilia Berg", area="Fors", languages=["sv"], capacity=1),
                Host(
                    name="Dan Holm",
                    area="Krylbo",
                    languages=["sv"],
                    capacity=1,
                    status=HostStatus.PAUSED,
                ),
            ]
        )
        db.session.commit()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill("samordnare@avesta.example")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/coordinator/")

    page.goto(f"{live_server.url}/coordinator/hosts")
    page.get_by_label("Område").select_option("Krylbo")
    page.get_by_label("Status").select_option("active")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa").click()
    # The list is sorted by name; a click on the column turns it round (Å and Ö come last in
    # Swedish, so first now).
    assert (
        page.locator("#person-list thead th[aria-sort=ascending]").inner_text().startswith("Namn")
    )
    with page.expect_navigation():
        page.locator("#person-list thead").get_by_role("link", name="Namn").click()
    assert "sort=-name" in page.url and "area=Krylbo" in page.url and "status=active" in page.url
    shown = page.locator("#person-list tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))"
    )
    assert [row[0] for row in shown] == ["Örjan Ahl", "Åsa Öberg", "Bo Ek"]

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV för Excel").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [row["name"] for row in rows] == [row[0] for row in shown]
    assert [row["area"] for row in rows] == [row[1] for row in shown]
    assert [row["capacity"] for row in rows] == ["3", "2", "1"]
