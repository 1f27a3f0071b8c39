"""Host and newcomer lists: filters, sorting and paging in the URL; exports of what is shown."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from openpyxl import load_workbook

from avestavard.extensions import db
from avestavard.models import Host, HostStatus, Newcomer, NewcomerStatus
from avestavard.models.matches import Match, MatchState
from avestavard.services.profiles import set_interests

NOW = datetime.now(UTC)


@pytest.fixture
def people(app):
    with app.app_context():
        hosts = [
            Host(name="Åsa Öberg", area="Krylbo", languages=["sv", "fi"], capacity=2),
            Host(name="Bo Ek", area="Krylbo", languages=["sv"], capacity=1),
            Host(name="Cecilia Ahl", area="Fors", languages=["fi"], capacity=1),
            Host(name="=HYPERLINK(1)", area="Fors", languages=["sv"], status=HostStatus.PAUSED),
        ]
        newcomers = [
            Newcomer(
                name=f"Nyinflyttad {i:02d}",
                area="Krylbo" if i % 2 else "Fors",
                languages=["ar"] if i % 3 == 0 else ["en"],
                status=NewcomerStatus.WAITING,
                registered_at=NOW - timedelta(days=100 - i),
                confirmed_at=NOW - timedelta(days=60 - i),
            )
            for i in range(60)
        ]
        db.session.add_all(hosts + newcomers)
        db.session.flush()
        set_interests(db.session, hosts[0], ["fotografering"])
        db.session.add(
            Match(host_id=hosts[1].id, newcomer_id=newcomers[0].id, state=MatchState.APPROVED)
        )
        db.session.commit()


def names(html: str) -> list[str]:
    body = html.split('id="person-list"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'/(?:hosts|newcomers)/\d+">([^<]+)</a>', unescape(body))


def test_hosts_filtered_sorted_and_labelled(people, coordinator_client):
    page = coordinator_client.get("/coordinator/hosts?area=Krylbo&sort=-name")
    html = unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert names(html) == ["Åsa Öberg", "Bo Ek"]
    assert "Finska" in html and "fi, sv" not in html
    assert "Fotografering" in html or "fotografering" in html.lower()
    free = coordinator_client.get("/coordinator/hosts?free=yes&language=fi").get_data(as_text=True)
    assert names(free) == ["Cecilia Ahl", "Åsa Öberg"] or names(free) == [
        "Åsa Öberg",
        "Cecilia Ahl",
    ]
    english = unescape(coordinator_client.get("/coordinator/hosts?lang=en").get_data(as_text=True))
    assert "Finnish" in english and "Photography" in english


def test_newcomers_longest_waiting_first_paged_with_count(people, coordinator_client):
    first = unescape(coordinator_client.get("/coordinator/newcomers").get_data(as_text=True))
    assert names(first)[:2] == ["Nyinflyttad 00", "Nyinflyttad 01"]
    assert len(names(first)) == 50
    assert "Nyinflyttade 1–50 av 60" in first
    assert "Sida 1 av 2" in first
    second = coordinator_client.get("/coordinator/newcomers?page=2").get_data(as_text=True)
    assert names(second)[-1] == "Nyinflyttad 59"
    ar = coordinator_client.get("/coordinator/newcomers?language=ar&area=Fors").get_data(
        as_text=True
    )
    assert names(ar) == [f"Nyinflyttad {i:02d}" for i in range(0, 60, 6)]
    assert coordinator_client.get("/coordinator/newcomers?page=abc&sort=%00x").status_code in (
        200,
        400,
    )


def test_csv_and_xlsx_export_show_the_filtered_rows(people, coordinator_client):
    url = "/coordinator/newcomers?area=Krylbo&sort=-name"
    shown = names(coordinator_client.get(url).get_data(as_text=True))
    answer = coordinator_client.get(url + "&format=csv")
    assert answer.status_code == 200
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert [row["name"] for row in rows][:50] == shown
    assert len(rows) == 30
    book = load_workbook(io.BytesIO(coordinator_client.get(url + "&format=xlsx").get_data()))
    sheet = book.active
    assert [c.value for c in sheet["B"]][1:51] == shown
    hosts = coordinator_client.get("/coordinator/hosts?area=Fors&format=csv").get_data()
    assert "'=HYPERLINK(1)" in hosts.decode("utf-8-sig")


def test_exports_give_times_in_stockholm_time(app, coordinator_client):
    with app.app_context():
        db.session.add_all(
            [
                Newcomer(
                    name="Vinter Tid",
                    area="Horndal",
                    status=NewcomerStatus.WAITING,
                    registered_at=datetime(2026, 12, 5, 13, 3, 59, tzinfo=UTC),
                    confirmed_at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
                )
            ]
        )
        db.session.commit()
    url = "/coordinator/newcomers?area=Horndal"
    raw = coordinator_client.get(url + "&format=csv").get_data().decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(raw), delimiter=";"))
    # 13:03 UTC in December is 14:03 in Stockholm; 10:00 UTC in July is 12:00 (summer time)
    assert (row["registered_at"], row["confirmed_at"]) == ("2026-12-05 14:03", "2026-07-01 12:00")
    book = load_workbook(io.BytesIO(coordinator_client.get(url + "&format=xlsx").get_data()))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    registered = sheet.cell(row=2, column=header.index("registered_at") + 1)
    assert registered.value == datetime(2026, 12, 5, 14, 3)
    assert registered.number_format == "yyyy-mm-dd hh:mm"
    # The JSON register extract keeps ISO 8601 with its offset.
    found = re.search(r"/coordinator/newcomers/(\d+)", coordinator_client.get(url).get_data(True))
    assert found is not None
    extract = coordinator_client.get(f"/coordinator/newcomers/{found[1]}/extract.json")
    assert extract.get_json()["profile"]["registered_at"] == "2026-12-05T13:03:59+00:00"
