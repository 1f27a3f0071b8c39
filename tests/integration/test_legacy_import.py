"""Importing the coordinators' Excel database into the real database: the sample workbook must
give what ``avestavardar.expected.json`` says, a second run must create nothing, a dry run must
save nothing, and workbooks written with other headers must import the same way."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import func, select

from avestavard.extensions import db
from avestavard.models import AuditEvent, Host, HostStatus, Newcomer
from avestavard.models.matches import Match
from avestavard.services.figures import Period, compute_figures
from tests.paths import TEST_DATA

WORKBOOK = TEST_DATA / "legacy" / "avestavardar.xlsx"
EXPECTED = json.loads((TEST_DATA / "legacy" / "avestavardar.expected.json").read_text("utf-8"))


def run_import(runner: Any, path: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(args=["import-legacy", str(path), "--json", *extra])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output  # exactly one JSON object
    return json.loads(lines[0])


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def hosts_by_email(app: Any) -> dict[str, dict[str, Any]]:
    with app.app_context():
        return {
            h.email: {
                "name": h.name,
                "email": h.email,
                "phone": h.phone,
                "birth_year": h.birth_year,
                "languages": h.languages,
                "capacity": h.capacity,
                "status": h.status.value,
                "area": h.area,
                "interests_raw": h.interests_raw,
            }
            for h in db.session.scalars(select(Host))
        }


def test_sample_workbook_gives_the_expected_register(app, runner):
    report = run_import(runner, WORKBOOK)

    # the report object, exactly as the issue specifies it
    assert set(report) == {"hosts", "newcomers", "matches", "errors", "warnings"}
    assert set(report["hosts"]) == {"rows", "created", "updated", "duplicates_merged"}
    assert set(report["newcomers"]) == {"rows", "created", "updated"}
    assert set(report["matches"]) == {"rows", "created"}
    for section in ("hosts", "newcomers", "matches"):
        assert all(type(v) is int for v in report[section].values())
    for issue in report["errors"] + report["warnings"]:
        assert set(issue) == {"sheet", "row", "message"}

    assert report["hosts"]["rows"] == EXPECTED["host_rows"]
    assert report["hosts"]["duplicates_merged"] == EXPECTED["duplicates_merged"]
    assert report["hosts"]["created"] == len(EXPECTED["hosts"])
    assert report["newcomers"]["created"] == len(EXPECTED["newcomers"])
    assert report["matches"]["rows"] == len(EXPECTED["matches"])
    errors = [(e["sheet"], e["message"]) for e in report["errors"]]
    assert errors == [(e["sheet"], e["reason"]) for e in EXPECTED["error_rows"]]
    assert all(isinstance(e["row"], int) for e in report["errors"])

    # the database holds one host per real person, normalised
    stored = hosts_by_email(app)
    assert len(stored) == len(EXPECTED["hosts"])
    for expected in EXPECTED["hosts"]:
        assert stored[expected["email"]] == expected, expected["name"]
    statuses = Counter(h["status"] for h in stored.values())
    assert statuses["declined"] == EXPECTED["declined"]

    with app.app_context():
        newcomers = {
            n.email: {"name": n.name, "email": n.email, "languages": n.languages}
            for n in db.session.scalars(select(Newcomer))
        }
        assert newcomers == {n["email"]: n for n in EXPECTED["newcomers"]}
        # they asked for a host before: they wait since then, first in line
        erik = db.session.scalar(select(Newcomer).where(Newcomer.name == "Erik Mattsson"))
        assert erik.moved_in == date(2014, 7, 3)
        assert erik.waiting_since.date() <= date(2014, 7, 3)
        # every created person is in the audit log
        created = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "import-create")
        )
        assert created == len(EXPECTED["hosts"]) + len(EXPECTED["newcomers"])


def test_second_run_creates_and_changes_nothing(app, runner):
    first = run_import(runner, WORKBOOK)
    before = (count(app, Host), count(app, Newcomer), hosts_by_email(app))
    second = run_import(runner, WORKBOOK)
    assert second["hosts"] == {**first["hosts"], "created": 0, "updated": 0}
    assert second["newcomers"] == {**first["newcomers"], "created": 0, "updated": 0}
    assert second["matches"]["created"] == 0
    assert (count(app, Host), count(app, Newcomer), hosts_by_email(app)) == before


def test_dry_run_saves_nothing_but_reports_the_same(app, runner):
    dry = run_import(runner, WORKBOOK, "--dry-run")
    assert count(app, Host) == 0 and count(app, Newcomer) == 0
    assert count(app, AuditEvent) == 0
    real = run_import(runner, WORKBOOK)
    assert dry == real


def test_human_readable_report(app, runner):
    result = runner.invoke(args=["import-legacy", str(WORKBOOK), "--dry-run"])
    assert result.exit_code == 0
    assert "Provkörning – inget sparades" in result.output
    assert "43 rader, 40 nya" in result.output
    assert "AvestaVärdar rad 52: name missing" in result.output


def test_matches_sheet_becomes_existing_matches(app, runner):
    report = run_import(runner, WORKBOOK)
    assert report["matches"]["created"] == len(EXPECTED["matches"])
    with app.app_context():
        pairs = {(m.host.email, m.newcomer.email) for m in db.session.scalars(select(Match))}
    assert pairs == {(m["host"], m["newcomer"]) for m in EXPECTED["matches"]}
    assert run_import(runner, WORKBOOK)["matches"]["created"] == 0


# --------------------------------------------------------------------------- other workbooks


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_other_header_variants(app, runner, tmp_path):
    path = write_workbook(
        tmp_path / "register-2015.xlsx",
        {
            "Värdar 2015": [
                ["Värdregister Avesta kommun"],
                ["Uppdaterad av Lena"],
                [],
                [
                    "Förnamn",
                    "Efternamn",
                    "Mobil",
                    "Mail",
                    "Ålder",
                    "Ort",
                    "Talar",
                    "Fritidsintressen",
                    "Antal nyinflyttade",
                    "Status",
                    "Intervjuare",
                    "Datum",
                    "Skostorlek",
                ],
                [
                    "Gunnel",
                    "Ek",
                    "070 111 22 33",
                    "GUNNEL.EK@Example.org",
                    60,
                    "horndal",
                    "svenska och engelska",
                    "fiske och bandy",
                    "1-2",
                    "Vilande",
                    "Lena",
                    "12 nov 2013",
                    "38",
                ],
                [
                    "Olle",
                    "Dahl",
                    "+46 73 222 33 44",
                    None,
                    "1950",
                    "Fors",
                    "sv",
                    "Schack;Bridge",
                    "två",
                    "Aktiv",
                    "Lena",
                    datetime(2014, 1, 9),
                    "44",
                ],
                ["Totalt: 2"],
            ],
            "Anmälningar": [
                ["Namn", "Tfn", "E-postadress", "Inflyttningsdatum", "Språk", "Intressen"],
                [
                    "Dawit Tesfay",
                    "0701234567",
                    "dawit@example.org",
                    "12/11-2013",
                    "Tigrinja",
                    "fotboll",
                ],
            ],
        },
    )
    report = run_import(runner, path)
    assert report["hosts"] == {"rows": 2, "created": 2, "updated": 0, "duplicates_merged": 0}
    assert report["newcomers"]["created"] == 1
    # an unknown column is reported, not silently dropped
    assert any("Skostorlek" in w["message"] for w in report["warnings"])
    with app.app_context():
        gunnel = db.session.scalar(select(Host).where(Host.email == "gunnel.ek@example.org"))
        assert gunnel.name == "Gunnel Ek"
        assert gunnel.phone == "+46701112233"
        assert gunnel.birth_year == 1953  # an age counts from the interview date
        assert gunnel.area == "Horndal"
        assert gunnel.languages == ["en", "sv"]
        assert gunnel.capacity == 1  # "1-2": the lower
        assert gunnel.status == HostStatus.PAUSED
        assert gunnel.interviewed_on == date(2013, 11, 12)
        olle = db.session.scalar(select(Host).where(Host.name == "Olle Dahl"))
        assert (olle.email, olle.phone, olle.capacity) == (None, "+46732223344", 2)
        assert olle.interests_raw == ["Schack", "Bridge"]
        dawit = db.session.scalar(select(Newcomer))
        assert (dawit.languages, dawit.moved_in) == (["ti"], date(2013, 11, 12))
    # the phone-only host is found again by phone number
    assert run_import(runner, path)["hosts"]["created"] == 0


def test_newer_interview_updates_older_only_fills_gaps(app, runner, tmp_path):
    header = ["Namn", "Telefon", "E-post", "Område", "Kan ta emot", "Intervjudatum", "Nutid"]
    first = write_workbook(
        tmp_path / "a.xlsx",
        {
            "AvestaVärdar": [
                header,
                ["Lisa Holm", "", "lisa@example.org", "Fors", 1, "2014-01-01", ""],
            ]
        },
    )
    run_import(runner, first)
    # a coordinator corrects the area in the app
    with app.app_context():
        host = db.session.scalar(select(Host))
        host.area = "Krylbo"
        db.session.commit()
    older = write_workbook(
        tmp_path / "b.xlsx",
        {
            "AvestaVärdar": [
                header,
                ["Lisa Holm", "0701112233", "lisa@example.org", "Dalsbo", 3, "2013-01-01", "Nu"],
            ]
        },
    )
    report = run_import(runner, older)
    assert report["hosts"]["updated"] == 1
    with app.app_context():
        host = db.session.scalar(select(Host))
        # only the empty fields were filled; the correction survived
        assert (host.area, host.capacity, host.phone, host.present) == (
            "Krylbo",
            1,
            "+46701112233",
            "Nu",
        )
    newer = write_workbook(
        tmp_path / "c.xlsx",
        {
            "AvestaVärdar": [
                header,
                ["Lisa Holm", "", "lisa@example.org", "Dalsbo", 2, "2015-03-01", ""],
            ]
        },
    )
    assert run_import(runner, newer)["hosts"] == {
        "rows": 1,
        "created": 0,
        "updated": 1,
        "duplicates_merged": 0,
    }
    with app.app_context():
        host = db.session.scalar(select(Host))
        assert (host.area, host.capacity, host.interviewed_on) == ("Dalsbo", 2, date(2015, 3, 1))


def test_not_a_workbook_is_refused(runner, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("Namn;Telefon\n")
    result = runner.invoke(args=["import-legacy", str(path), "--json"])
    assert result.exit_code != 0
    assert "xlsx" in result.output


# --------------------------------------------------------------------------- the upload page


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html) or re.search(
        rf'type="hidden" name="{name}" value="([^"]+)"', html
    )
    assert found, name
    return found[1]


class TestUploadPage:
    def test_dry_run_report_then_confirm(self, app, coordinator_client):
        from avestavard.models import PendingUpload
        from tests.conftest import csrf_token_from

        page = coordinator_client.get("/coordinator/imports")
        assert page.status_code == 200
        assert 'href="/coordinator/imports"' in page.get_data(as_text=True)  # in the menu
        token = csrf_token_from(page.get_data(as_text=True))
        with WORKBOOK.open("rb") as fh:
            report = coordinator_client.post(
                "/coordinator/imports",
                data={"csrf_token": token, "workbook": (fh, "avestavardar.xlsx")},
                content_type="multipart/form-data",
            )
        html = report.get_data(as_text=True)
        assert report.status_code == 200
        assert "Provkörning av importen" in html
        assert "<td>AvestaVärdar</td><td>52</td><td>name missing</td>" in html
        assert count(app, Host) == 0  # nothing saved yet
        assert count(app, PendingUpload) == 1  # the file waits for the confirm

        confirm = {"csrf_token": csrf_token_from(html), "token": _hidden(html, "token")}
        done = coordinator_client.post("/coordinator/imports/confirm", data=confirm)
        assert done.status_code == 200
        assert "Uppgifterna är sparade." in done.get_data(as_text=True)
        assert count(app, Host) == len(EXPECTED["hosts"])
        assert count(app, PendingUpload) == 0
        with app.app_context():
            labels = set(
                db.session.scalars(
                    select(AuditEvent.actor_label).where(AuditEvent.action == "import-create")
                )
            )
        assert labels == {"samordnare@avesta.example"}

        # confirming again finds no file: nothing is imported twice
        again = coordinator_client.post("/coordinator/imports/confirm", data=confirm)
        assert again.status_code == 302
        assert count(app, Host) == len(EXPECTED["hosts"])

    def test_wrong_file_type_is_refused(self, coordinator_client):
        from io import BytesIO

        from tests.conftest import csrf_token_from

        token = csrf_token_from(coordinator_client.get("/coordinator/imports").data.decode())
        response = coordinator_client.post(
            "/coordinator/imports",
            data={"csrf_token": token, "workbook": (BytesIO(b"a;b"), "lista.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400
        assert "Filen måste vara en Excelfil (.xlsx)." in response.get_data(as_text=True)

    def test_hosts_cannot_import(self, client, make_user):
        from tests.conftest import login

        login(client, make_user("host").email)
        assert client.get("/coordinator/imports").status_code == 403


def test_imported_history_counts_on_its_own_dates(app, runner, tmp_path):
    """A host of the old workbook is new in the month of the interview and its pairs count on
    the day written in the sheet (an ended pair too), not on the day of the import."""
    path = write_workbook(
        tmp_path / "historik.xlsx",
        {
            "AvestaVärdar": [
                ["Namn", "Telefon", "E-post", "Område", "Kan ta emot", "Status", "Intervjudatum"],
                [
                    "Gunnel Ek",
                    "070 111 22 33",
                    "gunnel@example.org",
                    "Horndal",
                    1,
                    "Aktiv",
                    datetime(2013, 11, 12),
                ],
            ],
            "Intresseanmälningar": [
                ["Namn", "Telefon", "E-post", "Inflyttad", "Språk", "Intressen"],
                ["Dawit Tesfay", "0701234567", "dawit@example.org", "2013-11-01", "Tigrinja", ""],
            ],
            "Matchningar": [
                ["Värd", "Nyinflyttad", "Datum", "Status"],
                ["Gunnel Ek", "Dawit Tesfay", datetime(2014, 2, 3), "Avslutad"],
            ],
        },
    )
    report = run_import(runner, path)
    assert report["matches"]["created"] == 1
    today = date.today()
    with app.app_context():
        assert db.session.scalar(select(Match.state)) == "ended"
        then = compute_figures(
            db.session, Period(date(2013, 11, 1), date(2014, 2, 28)), stages=[1, 2, 3], today=today
        )
        now = compute_figures(
            db.session, Period(today.replace(day=1), today), stages=[1, 2, 3], today=today
        )
    assert then["hosts"]["new"] == 1
    assert (then["matches"]["approved"], then["matches"]["ended"]) == (1, 1)
    by_month = {m["month"]: m["approved"] for m in then["by_month"]}
    assert by_month == {"2013-11": 0, "2013-12": 0, "2014-01": 0, "2014-02": 1}
    assert now["hosts"]["new"] == 0
    assert (now["matches"]["approved"], now["matches"]["ended"]) == (0, 0)
    assert now["matches"]["by_state"]["ended"] == 1
