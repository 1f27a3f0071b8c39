"""Reading the coordinators' legacy Excel database: the shared real workbook must give exactly
the expected import, and workbooks written here with other wordings and layouts must too."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from avestavard.imports import (
    Issue,
    LegacyImport,
    LegacyImportError,
    SourceRow,
    UnknownColumn,
    parse_legacy_workbook,
)
from tests.paths import TEST_DATA

LEGACY = TEST_DATA / "legacy"
WORKBOOK = LEGACY / "avestavardar.xlsx"
EXPECTED = LEGACY / "avestavardar.expected.json"


def test_sample_data_lives_inside_the_repository() -> None:
    # tests/unit/imports/<this file>: parents[3] is the repository.
    repository = Path(__file__).resolve().parents[3]
    assert TEST_DATA.is_relative_to(repository)
    assert WORKBOOK.is_file() and EXPECTED.is_file()


def _plain(value: Any) -> Any:
    """Record values as JSON has them: tuples as lists, dates as ISO text."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- the shared workbook


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def imported() -> LegacyImport:
    # A "today" far from the interviews: ages and two-digit years must not depend on it.
    return parse_legacy_workbook(WORKBOOK, today=date(2040, 1, 1))


def test_every_expected_host_field(imported: LegacyImport, expected: dict[str, Any]) -> None:
    got = {host.email: host for host in imported.hosts}
    assert len(imported.hosts) == len(expected["hosts"])
    for want in expected["hosts"]:
        host = got[want["email"]]
        assert {field: _plain(getattr(host, field)) for field in want} == want, want["name"]


def test_hosts_come_in_the_order_of_the_sheet(
    imported: LegacyImport, expected: dict[str, Any]
) -> None:
    assert [host.name for host in imported.hosts] == [host["name"] for host in expected["hosts"]]


def test_row_counts_duplicates_and_declined(
    imported: LegacyImport, expected: dict[str, Any]
) -> None:
    assert imported.host_rows == expected["host_rows"]
    assert imported.duplicates_merged == expected["duplicates_merged"]
    declined = [host for host in imported.hosts if host.status == "declined"]
    assert len(declined) == expected["declined"]


def test_the_row_without_a_name_is_the_only_error(
    imported: LegacyImport, expected: dict[str, Any]
) -> None:
    assert [{"sheet": e.sheet, "reason": e.message} for e in imported.errors] == expected[
        "error_rows"
    ]
    # Row 52 has a phone number, a language and a status but no name; the row after the
    # summary row ("Totalt: 40 värdar", row 54) and the blank rows are not errors.
    assert imported.errors == (Issue("AvestaVärdar", 52, "name missing", "name_missing"),)
    assert imported.errors[0].as_dict() == {
        "sheet": "AvestaVärdar",
        "row": 52,
        "message": "name missing",
    }


def test_newcomers_as_expected(imported: LegacyImport, expected: dict[str, Any]) -> None:
    assert imported.newcomer_rows == len(expected["newcomers"])
    got = [
        {field: _plain(getattr(newcomer, field)) for field in want}
        for newcomer, want in zip(imported.newcomers, expected["newcomers"], strict=True)
    ]
    assert got == expected["newcomers"]


def test_matches_as_expected(imported: LegacyImport, expected: dict[str, Any]) -> None:
    got = [{"host": m.host_key, "newcomer": m.newcomer_key} for m in imported.matches]
    assert got == expected["matches"]
    assert imported.match_rows == len(expected["matches"])
    for match in imported.matches:
        assert imported.host(match.host_key).email == match.host_key
        assert imported.newcomer(match.newcomer_key).email == match.newcomer_key


def test_merged_host_keeps_the_newest_interview(imported: LegacyImport) -> None:
    amanda = imported.host("amanda.lundberg@avesta.se")
    # Rows 4 (2014-05-23, name in capitals) and 8 (2014-03-11) are the same person.
    assert amanda.source_rows == (SourceRow("AvestaVärdar", 4), SourceRow("AvestaVärdar", 8))
    assert amanda.kept_row == SourceRow("AvestaVärdar", 4)
    assert amanda.interviewed_on == date(2014, 5, 23)
    assert amanda.name == "Amanda Lundberg"
    erik = imported.host("erik.eriksson@avesta.se")
    # Row 25 (18/1-2014) is newer than row 32 (21/11-2013) although it comes first.
    assert erik.kept_row.row == 25
    assert erik.interviewed_on == date(2014, 1, 18)


def test_everything_a_host_record_needs_is_read(imported: LegacyImport) -> None:
    birgitta = imported.host("birgitta.ekdahl@avesta.se")
    assert birgitta.interviewer == "Kerstin"
    assert birgitta.interviewed_on == date(2014, 4, 25)
    assert birgitta.past.startswith("Jag kommer från Borlänge")
    assert birgitta.present.startswith("Bor i Avesta centrum")
    assert birgitta.future.startswith("Vill gärna visa nya Avestabor runt")
    assert birgitta.thoughts == "Har tid på kvällar och helger."
    assert birgitta.address == "Ringvägen 06"
    assert birgitta.extra == {}
    # Interview dates typed as text in several forms.
    assert imported.host("viktoria.emanuelsson@avesta.se").interviewed_on == date(2013, 10, 20)
    assert imported.host("pontus.edlund@avesta.se").interviewed_on == date(2014, 3, 21)
    assert imported.host("eva.johansson@telia.com").interviewed_on == date(2014, 2, 17)
    assert imported.host("amanda.lundberg@avesta.se").notes == "Vill inte vara värd längre"


def test_newcomer_and_match_details(imported: LegacyImport) -> None:
    martin = imported.newcomer("martin.karlsson@gmail.com")
    assert martin.moved_in == date(2013, 7, 20)
    assert martin.phone == "+46739210453"
    assert martin.wishes == "Fika!"
    assert martin.interests_raw == ("Gym", "spela fotboll", "Masarna", "jakt", "Plocka svamp")
    first = imported.matches[0]
    assert first.matched_on == date(2014, 3, 1)
    assert first.status_raw == "Träffats"
    assert first.source_row == SourceRow("Matchningar", 2)


def test_the_shared_workbook_reads_without_doubts(imported: LegacyImport) -> None:
    assert imported.warnings == ()
    assert imported.unknown_columns == ()
    assert [(s.name, s.kind, s.header_row) for s in imported.sheets] == [
        ("AvestaVärdar", "hosts", 3),
        ("Intresseanmälningar", "newcomers", 1),
        ("Matchningar", "matches", 1),
    ]


def test_bytes_and_open_files_read_the_same(imported: LegacyImport) -> None:
    data = WORKBOOK.read_bytes()
    assert parse_legacy_workbook(data, today=date(2040, 1, 1)) == imported
    with WORKBOOK.open("rb") as stream:
        assert parse_legacy_workbook(stream, today=date(2040, 1, 1)) == imported


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LegacyImportError):
        parse_legacy_workbook(b"Namn;Telefon\nAmanda;070\n")
    broken = tmp_path / "avestavardar.xlsx"
    broken.write_bytes(WORKBOOK.read_bytes()[:2000])
    with pytest.raises(LegacyImportError):
        parse_legacy_workbook(broken)


# --------------------------------------------------------------------------- other workbooks

Cell = str | int | float | date | datetime | None


def _write(
    path: Path,
    sheets: dict[str, Sequence[Sequence[Cell]]],
    merges: dict[str, Sequence[str]] | None = None,
) -> Path:
    """A real .xlsx file with one sheet per entry, rows written from row 1."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.worksheets[0])
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
        for cell_range in (merges or {}).get(title, ()):
            sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


HOST_HEADERS: list[Cell] = [
    "Förnamn",
    "Efternamn",
    "Mobil",
    "Mail",
    "Ålder",
    "Bostadsområde",
    "Språk",
    "Fritidsintressen",
    "Antal nyinflyttade",
    "Status",
    "Datum",
    "Intervjuare",
    "Hushåll",
    "Tankar om uppdraget",
    "Nutid",
    "Favoritfärg",
]


def _variant_workbook(path: Path) -> Path:
    """Hosts on an oddly named sheet with two title rows, split names and other wordings."""
    hosts: list[list[Cell]] = [
        ["Värdregister Avesta kommun"],
        ["Uppdaterad juni 2014 av Kerstin"],
        [],
        HOST_HEADERS,
        # row 5: the newest interview of Anna-Karin; household left empty
        [
            "Anna-Karin",
            "Nordin",
            "070-612 31 00",
            " Anna-Karin.Nordin@Avesta.se ",
            "45",
            "avesta c",
            "svenska, eng",
            "fiske/jakt & svampplockning",
            "två",
            "Aktiv",
            datetime(2014, 3, 1),
            "Kerstin",
            None,
            "Gärna barnfamiljer",
            "Bor i Krylbo",
            "blå",
        ],
        [],
        # row 7: phone as a number cell, age with "år", a text date with a month name
        [
            "Omar",
            "Hassan",
            707654321,
            "omar.hassan@gmail.com",
            "45 år",
            "Grytnas",
            "Arabiska, Somaliska och engelska",
            "fotboll; matlagning",
            "1-2",
            "Pausad",
            "12 nov 2013",
            "Lena",
            "sambo",
            "",
            "",
            None,
        ],
        # row 8: Anna-Karin again, older interview, written differently, no email
        [
            "ANNA KARIN",
            "NORDIN",
            "0706123100",
            None,
            "44",
            "Avesta",
            "Svenska",
            "fiske",
            "ett",
            "Vilande",
            "12.11.2013",
            "Lena",
            "familj med barn",
            "",
            "",
            None,
        ],
        # row 9: a bad phone number and an unknown language; the row is still imported
        [
            "Lisa",
            "Berg",
            "12345",
            "lisa.berg@telia.com",
            "30",
            "Horndal",
            "persiska/farsi, dari, klingonska",
            "yoga",
            "tre",
            "Avböjt",
            "12/11/2013",
            "Maria",
            "ensam",
            "",
            "",
            None,
        ],
        # row 10: no name
        [None, None, "070-111 22 33", "someone@telia.com", "50", "Fors", "sv", "", "1"],
        # row 11: no interview date, so the age counts from today
        [
            "Per",
            "Ek",
            None,
            "per.ek@gmail.com",
            "60",
            "Fors",
            "sv",
            "",
            "",
            "",
            None,
            "",
            "",
            "",
            "",
            None,
        ],
        [],
        ["Summa: 4 värdar"],
    ]
    newcomers: list[list[Cell]] = [
        ["Intresseanmälningar"],
        ["Namn", "Telefon", "E-post", "Inflyttningsdatum", "Språk", "Intressen", "Önskemål"],
        [
            "Sara Ali",
            "+46 73 111 22 33",
            "SARA.ALI@GMAIL.COM",
            "2014-02-01",
            "Arabiska, Svenska",
            "fika och promenader",
            "Någon med barn",
        ],
        ["John Smith", None, "john.smith@gmail.com", datetime(2014, 1, 15), "English", "hockey"],
        ["Maria Lopez", "0701234567", None, "15 januari 2014", "spanska", "dans", None],
        ["Totalt 3"],
    ]
    pairs: list[list[Cell]] = [
        ["Värd", "Nyinflyttad", "Datum", "Status", "Kommentar"],
        ["anna karin nordin", "Sara Ali", "10/3-2014", "Träffats", "Bra match"],
        ["omar.hassan@gmail.com", "JOHN SMITH", datetime(2014, 3, 12), "Ej kontakt", None],
        ["Okänd Person", "Maria Lopez", "2014-03-14", None, None],
        ["Lisa Berg", "0701234567", "2014-03-15", None, None],  # newcomer by phone
        ["Lisa Berg", "Nils Okänd", "2014-03-16", None, None],
    ]
    return _write(
        path,
        {"Blad1": hosts, "Nyinflyttade 2014": newcomers, "Par": pairs},
        merges={"Blad1": ["A1:P1"], "Nyinflyttade 2014": ["A1:G1"]},
    )


@pytest.fixture
def variant(tmp_path: Path) -> LegacyImport:
    return parse_legacy_workbook(
        _variant_workbook(tmp_path / "variant.xlsx"), today=date(2030, 6, 1)
    )


def test_variant_headers_are_recognised(variant: LegacyImport) -> None:
    hosts_sheet = variant.sheets[0]
    assert (hosts_sheet.name, hosts_sheet.kind, hosts_sheet.header_row) == ("Blad1", "hosts", 4)
    fields = {header: field for _, header, field in hosts_sheet.columns}
    assert fields == {
        "Förnamn": "first_name",
        "Efternamn": "last_name",
        "Mobil": "phone",
        "Mail": "email",
        "Ålder": "age",
        "Bostadsområde": "area",
        "Språk": "languages",
        "Fritidsintressen": "interests",
        "Antal nyinflyttade": "capacity",
        "Status": "status",
        "Datum": "interviewed_on",
        "Intervjuare": "interviewer",
        "Hushåll": "household",
        "Tankar om uppdraget": "thoughts",
        "Nutid": "present",
        "Favoritfärg": None,
    }
    assert [(s.name, s.kind, s.header_row) for s in variant.sheets[1:]] == [
        ("Nyinflyttade 2014", "newcomers", 2),
        ("Par", "matches", 1),
    ]


def test_variant_hosts_are_normalised(variant: LegacyImport) -> None:
    anna = variant.host("anna-karin.nordin@avesta.se")
    assert anna.name == "Anna-Karin Nordin"
    assert anna.phone == "+46706123100"
    assert anna.birth_year == 1969  # 45 at the interview on 2014-03-01, not at "today"
    assert anna.area == "Avesta centrum"
    assert anna.languages == ("en", "sv")
    assert anna.interests_raw == ("fiske", "jakt", "svampplockning")
    assert anna.capacity == 2
    assert anna.status == "active"
    assert anna.interviewed_on == date(2014, 3, 1)
    assert anna.interviewer == "Kerstin"
    assert anna.thoughts == "Gärna barnfamiljer"
    assert anna.present == "Bor i Krylbo"
    assert anna.extra == {"Favoritfärg": "blå"}

    omar = variant.host("omar.hassan@gmail.com")
    assert omar.phone == "+46707654321"
    assert omar.birth_year == 1968  # "45 år" on 12 nov 2013
    assert omar.interviewed_on == date(2013, 11, 12)
    assert omar.area == "Grytnäs"
    assert omar.languages == ("ar", "en", "so")
    assert omar.capacity == 1  # "1-2": the lower
    assert omar.status == "paused"
    assert omar.household == "couple"

    lisa = variant.host("lisa.berg@telia.com")
    assert lisa.phone is None
    assert lisa.languages == ("fa",)
    assert lisa.status == "declined"
    assert lisa.capacity == 3
    assert lisa.birth_year == 1983
    assert lisa.interviewed_on == date(2013, 11, 12)
    assert lisa.extra == {"Mobil": "12345", "Språk": "persiska/farsi, dari, klingonska"}

    per = variant.host("per.ek@gmail.com")
    assert per.interviewed_on is None
    assert per.birth_year == 1970  # no interview date: 60 counted from today (2030)
    assert per.status == "active"
    assert per.capacity is None


def test_variant_duplicates_merge_by_phone_keeping_the_newest(variant: LegacyImport) -> None:
    assert variant.host_rows == 5
    assert variant.duplicates_merged == 1
    assert len(variant.hosts) == 4
    anna = variant.host("anna-karin.nordin@avesta.se")
    assert [row.row for row in anna.source_rows] == [5, 8]
    assert anna.kept_row.row == 5
    # The newest interview wins; the older row only fills what the newer left empty.
    assert anna.status == "active"
    assert anna.capacity == 2
    assert anna.household == "family"
    assert not any(w.code == "merged_different_names" for w in variant.warnings)


def test_variant_errors_and_warnings_name_sheet_and_row(variant: LegacyImport) -> None:
    assert [(e.sheet, e.row, e.code) for e in variant.errors] == [
        ("Blad1", 10, "name_missing"),
        ("Par", 4, "host_not_found"),
        ("Par", 6, "newcomer_not_found"),
    ]
    assert variant.errors[0].message == "name missing"
    assert "Okänd Person" in variant.errors[1].message
    warnings = {(w.sheet, w.row, w.code) for w in variant.warnings}
    assert ("Blad1", 9, "invalid_phone") in warnings
    assert ("Blad1", 9, "unknown_language") in warnings
    assert ("Blad1", 11, "age_without_date") in warnings
    assert ("Blad1", 4, "unknown_column") in warnings
    language_warning = next(w for w in variant.warnings if w.code == "unknown_language")
    assert "klingonska" in language_warning.message
    assert variant.unknown_columns == (UnknownColumn("Blad1", "P", "Favoritfärg"),)


def test_variant_newcomers_and_matches(variant: LegacyImport) -> None:
    assert [(n.name, n.email, n.phone, n.moved_in, n.languages) for n in variant.newcomers] == [
        ("Sara Ali", "sara.ali@gmail.com", "+46731112233", date(2014, 2, 1), ("ar", "sv")),
        ("John Smith", "john.smith@gmail.com", None, date(2014, 1, 15), ("en",)),
        ("Maria Lopez", None, "+46701234567", date(2014, 1, 15), ("es",)),
    ]
    assert variant.newcomers[0].interests_raw == ("fika", "promenader")
    assert variant.newcomers[0].wishes == "Någon med barn"
    assert variant.newcomer_rows == 3
    assert [(m.host_key, m.newcomer_key, m.matched_on, m.status_raw) for m in variant.matches] == [
        ("anna-karin.nordin@avesta.se", "sara.ali@gmail.com", date(2014, 3, 10), "Träffats"),
        ("omar.hassan@gmail.com", "john.smith@gmail.com", date(2014, 3, 12), "Ej kontakt"),
        ("lisa.berg@telia.com", "+46701234567", date(2014, 3, 15), None),
    ]
    assert variant.matches[0].notes == "Bra match"
    assert variant.match_rows == 3


def test_sheets_with_meaningless_names_are_recognised_by_their_headers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "sheets.xlsx",
        {
            "Sheet1": [
                ["Namn", "E-post", "Född", "Dåtid", "Nutid", "Framtid", "Kan ta emot", "Status"],
                ["Karin Holm", "karin.holm@gmail.com", 1970, "Från Sala", "Bor i Fors", "", 2, ""],
            ],
            "Sheet2": [
                ["Namn", "E-post", "Inflyttad", "Önskemål"],
                ["Ali Nur", "ali.nur@gmail.com", "1/2-2014", "fika"],
            ],
            "Sheet3": [
                ["Värd", "Nyinflyttad"],
                ["Karin Holm", "Ali Nur"],
            ],
            "Blad4": [],
        },
    )
    result = parse_legacy_workbook(path)
    assert [(s.name, s.kind) for s in result.sheets] == [
        ("Sheet1", "hosts"),
        ("Sheet2", "newcomers"),
        ("Sheet3", "matches"),
    ]
    assert [(h.name, h.birth_year, h.capacity, h.past) for h in result.hosts] == [
        ("Karin Holm", 1970, 2, "Från Sala")
    ]
    assert result.newcomers[0].moved_in == date(2014, 2, 1)
    assert [(m.host_key, m.newcomer_key) for m in result.matches] == [
        ("karin.holm@gmail.com", "ali.nur@gmail.com")
    ]
    assert result.errors == ()


def test_hosts_sheet_named_hosts_with_english_headers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "english.xlsx",
        {
            "Hosts": [
                ["Name", "Phone", "Email", "Year of birth", "Area", "Languages", "Interests"],
                ["Tom Berg", "+46 70 100 20 30", "tom.berg@gmail.com", "1980", "Fors", "Sve", "x"],
                ["Tom  Berg", "070-100 20 30", "TOM.BERG@GMAIL.COM", "80", "Fors", "sv", "x"],
            ]
        },
    )
    result = parse_legacy_workbook(path)
    assert result.sheets[0].kind == "hosts"
    assert (result.host_rows, result.duplicates_merged, len(result.hosts)) == (2, 1, 1)
    assert result.hosts[0].birth_year == 1980
    # No interview dates: the later row counts as the newer.
    assert result.hosts[0].kept_row.row == 3


def test_vertically_merged_cells_fill_each_row_but_make_no_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "merged.xlsx",
        {
            "AvestaVärdar": [
                ["Namn", "E-post", "Intervjuad av", "Område"],
                ["Eva Ek", "eva.ek@gmail.com", "Lena", "Krylbo"],
                ["Bo Ek", "bo.ek@gmail.com", None, None],
                [None, None, None, None],
            ]
        },
        merges={"AvestaVärdar": ["C2:C4", "D2:D3"]},
    )
    result = parse_legacy_workbook(path)
    assert [(h.name, h.interviewer, h.area) for h in result.hosts] == [
        ("Eva Ek", "Lena", "Krylbo"),
        ("Bo Ek", "Lena", "Krylbo"),
    ]
    assert result.errors == ()
    assert result.host_rows == 2


def test_same_email_but_another_name_is_merged_with_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "shared-email.xlsx",
        {
            "Värdar": [
                ["Namn", "E-post", "Intervjudatum"],
                ["Anna Svensson", "familjen.svensson@gmail.com", "2014-01-10"],
                ["Per Svensson", "familjen.svensson@gmail.com", "2014-02-10"],
            ]
        },
    )
    result = parse_legacy_workbook(path)
    assert len(result.hosts) == 1
    assert result.hosts[0].name == "Per Svensson"
    assert [(w.row, w.code) for w in result.warnings] == [(2, "merged_different_names")]


def _reworded_copy_of_the_shared_workbook(path: Path) -> Path:
    """The shared workbook as another coordinator might have kept it: sheets renamed, a second
    title row, first and last names in two columns, other header words, interview dates as
    bare Excel serial numbers and phone numbers typed as numbers."""
    workbook = openpyxl.load_workbook(WORKBOOK)
    hosts, newcomers, pairs = workbook.worksheets
    hosts.title, newcomers.title, pairs.title = "Värdar", "Nyinflyttade", "Par"
    hosts.unmerge_cells("A1:Q1")
    hosts.insert_rows(1)
    hosts["A1"] = "Avesta kommun – Flytta hit och trivs"
    hosts.insert_cols(2)
    renamed = {
        "Telefon": "Mobil",
        "E-post": "Mail",
        "Född": "Födelseår",
        "Område": "Bostadsområde",
        "Intressen": "Fritidsintressen",
        "Andra tankar kring uppdraget": "Tankar om uppdraget",
        "Kan ta emot": "Antal nyinflyttade",
        "Intervjuad av": "Intervjuare",
        "Intervjudatum": "Datum",
    }
    for cell in hosts[4]:
        if isinstance(cell.value, str) and cell.value in renamed:
            cell.value = renamed[cell.value]
    hosts["A4"], hosts["B4"] = "Förnamn", "Efternamn"
    assert hosts["Q4"].value == "Datum"
    serials = 0
    for row in hosts.iter_rows(min_row=5):
        name, phone, interviewed = row[0], row[2], row[16]
        if isinstance(name.value, str) and not name.value.startswith("Totalt"):
            first, _, last = name.value.strip().partition(" ")
            name.value, row[1].value = first, last
        if isinstance(phone.value, str) and phone.value.isdigit():
            phone.value = int(phone.value)
        if isinstance(interviewed.value, datetime):
            interviewed.value = float((interviewed.value - datetime(1899, 12, 30)).days)
            interviewed.number_format = "General"
            serials += 1
    assert serials > 20
    workbook.save(path)
    return path


def test_the_shared_workbook_reworded_gives_the_same_import(
    tmp_path: Path, expected: dict[str, Any]
) -> None:
    result = parse_legacy_workbook(_reworded_copy_of_the_shared_workbook(tmp_path / "copy.xlsx"))
    assert [(s.name, s.kind, s.header_row) for s in result.sheets] == [
        ("Värdar", "hosts", 4),
        ("Nyinflyttade", "newcomers", 1),
        ("Par", "matches", 1),
    ]
    got = {host.email: host for host in result.hosts}
    assert len(result.hosts) == len(expected["hosts"])
    for want in expected["hosts"]:
        host = got[want["email"]]
        assert {field: _plain(getattr(host, field)) for field in want} == want, want["name"]
    assert result.host("amanda.lundberg@avesta.se").interviewed_on == date(2014, 5, 23)
    assert result.host_rows == expected["host_rows"]
    assert result.duplicates_merged == expected["duplicates_merged"]
    assert [(e.sheet, e.row, e.message) for e in result.errors] == [("Värdar", 53, "name missing")]
    assert [{"host": m.host_key, "newcomer": m.newcomer_key} for m in result.matches] == expected[
        "matches"
    ]
    assert result.warnings == ()
