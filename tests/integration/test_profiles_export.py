"""``avestavard export hosts|newcomers|matches --format json|csv|xlsx``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import AuditEvent, Host, HostStatus, Newcomer
from avestavard.services.profiles import set_interests


def seed(app: Any) -> None:
    with app.app_context():
        host = Host(
            name="Karin Berg",
            email="karin@avesta.example",
            phone="+46706123100",
            birth_year=1964,
            area="Krylbo",
            languages=["sv", "fi"],
            past='=HYPERLINK("http://evil")',
            present="Pensionär",
            future="",
            thoughts="Fika",
            capacity=2,
            status=HostStatus.ACTIVE,
        )
        db.session.add(host)
        db.session.flush()
        set_interests(db.session, host, ["Fiske", "Körsång"])
        db.session.add(Newcomer(name="Yusuf Ali", email="yusuf@example.org", languages=["ar"]))
        db.session.commit()


HOST_FIELDS = {
    "id",
    "name",
    "email",
    "phone",
    "birth_year",
    "area",
    "languages",
    "interests",
    "interests_raw",
    "past",
    "present",
    "future",
    "thoughts",
    "capacity",
    "status",
}


def test_json_export_of_hosts(app, runner):
    seed(app)
    result = runner.invoke(args=["export", "hosts", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert isinstance(rows, list) and len(rows) == 1
    [host] = rows
    assert set(host) >= HOST_FIELDS
    assert host["phone"] == "+46706123100"
    assert host["languages"] == ["fi", "sv"]
    assert host["interests"] == ["choir", "fishing"]
    assert host["interests_raw"] == ["Fiske", "Körsång"]
    assert host["status"] == "active"
    with app.app_context():
        assert db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.action == "export-hosts")
        )


def test_csv_export_opens_in_excel_without_formulas(app, runner, tmp_path):
    seed(app)
    out = tmp_path / "hosts.csv"
    result = runner.invoke(args=["export", "hosts", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the UTF-8 byte order mark
    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row["phone"] == "+46706123100"
    assert row["languages"] == "fi; sv"
    assert row["past"] == '\'=HYPERLINK("http://evil")'  # text, never a formula


def test_xlsx_export(app, runner, tmp_path):
    seed(app)
    out = tmp_path / "newcomers.xlsx"
    result = runner.invoke(args=["export", "newcomers", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["name"] == "Yusuf Ali" and values["languages"] == "ar"

    out = tmp_path / "hosts.xlsx"
    runner.invoke(args=["export", "hosts", "--format", "xlsx", "--out", str(out)])
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    past = sheet.cell(row=2, column=header.index("past") + 1)
    assert past.data_type == "s" and past.value.startswith("=HYPERLINK")


def test_matches_export(app, runner, tmp_path):
    from tests.paths import TEST_DATA

    runner.invoke(args=["import-legacy", str(TEST_DATA / "legacy" / "avestavardar.xlsx")])
    result = runner.invoke(args=["export", "matches", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    expected = json.loads((TEST_DATA / "legacy" / "avestavardar.expected.json").read_text())
    assert {(r["host_email"], r["newcomer_email"]) for r in rows} == {
        (m["host"], m["newcomer"]) for m in expected["matches"]
    }
    assert all(isinstance(r["host_id"], int) and r["state"] for r in rows)
