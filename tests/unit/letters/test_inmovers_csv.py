"""The register extract parser against the shared sample file and hand-made variants of it."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from datetime import date

import pytest

from avestavard.imports.inmovers_csv import (
    InmoversFormatError,
    InmoversParse,
    parse_inmovers,
)
from tests.paths import TEST_DATA

INMOVERS = TEST_DATA / "inmovers"
KEY = b"test-hash-key"
HEADER = (
    "Personnummer;Förnamn;Efternamn;c/o;Utdelningsadress;Postnummer;Postort;"
    "Inflyttningsdatum;Tidigare kommun"
)
TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((INMOVERS / "inflyttade.expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def shared_bytes() -> bytes:
    return (INMOVERS / "inflyttade.csv").read_bytes()


@pytest.fixture(scope="module")
def parsed(shared_bytes: bytes, expected: dict) -> InmoversParse:
    return parse_inmovers(shared_bytes, today=date.fromisoformat(expected["today"]), hash_key=KEY)


def _summary(parse: InmoversParse) -> set[tuple]:
    return {
        (
            h.moved_in.isoformat(),
            len(h.adults),
            len(h.children),
            h.oldest_adult_age,
            h.address.single_line(),
        )
        for h in parse.households
    }


def _extract(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_counts_and_bad_rows_match_expected(parsed: InmoversParse, expected: dict) -> None:
    assert parsed.encoding == "utf-8-sig"
    assert parsed.rows == expected["rows"]
    assert parsed.persons_imported == expected["persons_imported"]
    assert [(b.line, b.code) for b in parsed.bad_rows] == [
        (b["line"], b["reason"]) for b in expected["bad_rows"]
    ]
    assert all(b.message and b.message_en for b in parsed.bad_rows)
    assert len(parsed.households) == len(expected["households"])


def test_households_match_expected(
    parsed: InmoversParse, expected: dict, shared_bytes: bytes
) -> None:
    """Every household as expected; the four with a broken row lack exactly that row's person.

    The expected file describes the real households, so a household whose member sits on a
    rejected line has one person more there than a correct import can have. That person is
    derived from the raw line: age from the birth date digits, address and move-in date.
    """
    today = date.fromisoformat(expected["today"])
    by_address = {h.address.single_line(): h for h in parsed.households}
    broken = set(expected["households_with_a_broken_row"])
    lines = shared_bytes.decode("utf-8-sig").splitlines()
    bad_lines = {
        b["line"]: next(csv.reader([lines[b["line"] - 1]], delimiter=";"))
        for b in expected["bad_rows"]
    }

    matched_bad_lines = set()
    for index, want in enumerate(expected["households"]):
        got = by_address[want["address"]]
        assert got.moved_in.isoformat() == want["moved_in"]
        adults, children, oldest = len(got.adults), len(got.children), got.oldest_adult_age
        if index in broken:
            street, postcode = want["address"].split(", ")[0], want["address"].split(", ")[1][:6]
            candidates = [
                line
                for line, fields in bad_lines.items()
                if fields[5] == postcode
                and fields[4] in ("", street)
                and (fields[7] == want["moved_in"] or not _is_date(fields[7]))
                and line not in matched_bad_lines
            ]
            assert len(candidates) == 1, (want, candidates)
            matched_bad_lines.add(candidates[0])
            born = date.fromisoformat(
                f"{bad_lines[candidates[0]][0][:4]}-{bad_lines[candidates[0]][0][4:6]}-"
                f"{bad_lines[candidates[0]][0][6:8]}"
            )
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            if age >= 18:
                adults += 1
                oldest = max(oldest or 0, age)
            else:
                children += 1
        assert (adults, children, oldest) == (
            want["adults"],
            want["children"],
            want["oldest_adult_age"],
        ), want
    assert matched_bad_lines == set(bad_lines)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_households_list_only_what_letters_need(parsed: InmoversParse) -> None:
    household = next(h for h in parsed.households if h.address.street == "Kvarntorget 290")
    assert household.address.care_of == "c/o Nilsson"
    assert household.address.envelope_lines() == ("c/o Nilsson", "Kvarntorget 290", "774 40 KRYLBO")
    assert [p.first_name for p in household.adults] == ["Abdi"]
    assert {p.first_name for p in household.children} == {"Amina"}
    assert household.children[0].previous_municipality == "Utlandet"


def test_personal_identity_numbers_are_not_kept(parsed: InmoversParse, shared_bytes: bytes) -> None:
    text = repr(parsed)
    for line in shared_bytes.decode("utf-8-sig").splitlines()[1:6]:
        number = line.split(";")[0]
        assert number not in text and number.replace("-", "") not in text
        assert number[-4:] + ";" not in text
    first = parsed.persons[0]
    assert first.person_key == hmac.new(KEY, b"199107316938", hashlib.sha256).hexdigest()


def test_windows_1252_file_gives_the_same_result(
    parsed: InmoversParse, shared_bytes: bytes
) -> None:
    latin = shared_bytes.decode("utf-8-sig").encode("cp1252")
    again = parse_inmovers(latin, today=TODAY, hash_key=KEY)
    assert again.encoding == "cp1252"
    assert again.persons == parsed.persons
    assert again.households == parsed.households
    assert any(h.address.street == "Ängsgatan 5" for h in again.households)


def test_utf8_without_bom_lf_and_trailing_blank_lines(
    parsed: InmoversParse, shared_bytes: bytes
) -> None:
    text = shared_bytes.decode("utf-8-sig").replace("\r\n", "\n") + "\n\n  \n"
    again = parse_inmovers(text.encode("utf-8"), today=TODAY, hash_key=KEY)
    assert again.encoding == "utf-8"
    assert again.rows == parsed.rows
    assert again.bad_rows == parsed.bad_rows
    assert again.households == parsed.households


def test_header_case_and_column_order_do_not_matter() -> None:
    header = (
        "inflyttningsdatum;POSTORT;postnummer;UTDELNINGSADRESS;C/O;efternamn;FÖRNAMN;personnummer"
    )
    data = _extract("2026-10-01;AVESTA;77431;Kungsgatan 1;;Berg;Anna;19811218-9876", header=header)
    person = parse_inmovers(data, today=TODAY, hash_key=KEY).persons[0]
    assert (person.first_name, person.last_name, person.birth_date) == (
        "Anna",
        "Berg",
        date(1981, 12, 18),
    )
    assert person.address.postcode == "774 31"
    assert person.previous_municipality is None


def test_missing_column_rejects_the_file() -> None:
    with pytest.raises(InmoversFormatError, match="Inflyttningsdatum"):
        parse_inmovers(
            "Personnummer;Förnamn;Efternamn;Utdelningsadress;Postnummer;Postort\n".encode(),
            today=TODAY,
            hash_key=KEY,
        )


def test_coordination_number_gives_the_real_birth_date(parsed: InmoversParse) -> None:
    # Skatteverket's example coordination number: day 63 = the 3rd.
    data = _extract("701063-2391;Omar;Ali;;Kungsgatan 1;774 31;AVESTA;2026-10-01;Utlandet")
    person = parse_inmovers(data, today=TODAY, hash_key=KEY).persons[0]
    assert person.birth_date == date(1970, 10, 3)
    # From the shared file: 19911072-9275 (line 251) is born 12 October 1991.
    senait = next(p for p in parsed.persons if p.full_name == "Senait Tesfamariam")
    assert senait.birth_date == date(1991, 10, 12)


def test_ten_digit_numbers_get_their_century_from_today() -> None:
    rows = [
        # 121212-1212 and 121212+1212 are Skatteverket's test number; "+" means 100 or older.
        "121212-1212;Tolvan;Tolvansson;;Kungsgatan 1;774 31;AVESTA;2026-10-01;",
        "121212+1212;Tolvan;Senior;;Kungsgatan 2;774 31;AVESTA;2026-10-01;",
        "811218-9876;Anna;Berg;;Kungsgatan 3;774 31;AVESTA;2026-10-01;",
        _with_check_digit("261129-123") + ";Nils;Nyfödd;;Kungsgatan 4;774 31;AVESTA;2026-10-01;",
        _with_check_digit("261128-123") + ";Nora;Nyfödd;;Kungsgatan 5;774 31;AVESTA;2026-10-01;",
    ]
    persons = parse_inmovers(_extract(*rows), today=TODAY, hash_key=KEY).persons
    assert [p.birth_date for p in persons] == [
        date(2012, 12, 12),
        date(1912, 12, 12),
        date(1981, 12, 18),
        date(1926, 11, 29),  # 2026-11-29 would be tomorrow
        date(2026, 11, 28),  # born today
    ]
    # The same person written with 10 or 12 digits is recognised as the same person.
    twelve = parse_inmovers(
        _extract("20121212-1212;Tolvan;Tolvansson;;Kungsgatan 1;774 31;AVESTA;2026-10-01;"),
        today=TODAY,
        hash_key=KEY,
    ).persons[0]
    assert twelve.person_key == persons[0].person_key


def _with_check_digit(nine: str) -> str:
    """Independent Luhn: append the check digit to ``YYMMDD-NNN``."""
    digits = nine.replace("-", "")
    total = sum(sum(divmod(int(d) * (2 - i % 2), 10)) for i, d in enumerate(digits))
    return f"{nine}{(10 - total % 10) % 10}"


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("19811218-9875;Anna;Berg;;Gatan 1;774 31;AVESTA;2026-10-01;", "bad checksum"),
        ("1981-12-18;Anna;Berg;;Gatan 1;774 31;AVESTA;2026-10-01;", "bad format"),
        (
            _with_check_digit("810230-123") + ";Anna;Berg;;Gatan 1;774 31;AVESTA;2026-10-01;",
            "impossible date",
        ),
        ("19811218-9876;Anna;Berg;;Gatan 1;774 31;AVESTA;2026-13-01;", "impossible date"),
        ("19811218-9876;Anna;Berg;;Gatan 1;774 31;AVESTA;;", "impossible date"),
        ("19811218-9876;Anna;Berg;;;774 31;AVESTA;2026-10-01;", "address missing"),
        ("19811218-9876;Anna;Berg;;Gatan 1;774 31;;2026-10-01;", "address missing"),
        ("19811218-9876;Anna;Berg;;Gatan 1;7743;AVESTA;2026-10-01;", "bad postcode"),
        ("19811218-9876;;Berg;;Gatan 1;774 31;AVESTA;2026-10-01;", "name missing"),
        ("19811218-9876;Anna;Berg;;Gatan 1;774 31;AVESTA", "wrong columns"),
    ],
)
def test_bad_rows_are_reported_with_their_line(row: str, code: str) -> None:
    good = "20121212-1212;Tolvan;Tolvansson;;Kungsgatan 1;774 31;AVESTA;2026-10-01;"
    other = "701063-2391;Omar;Ali;;Storgatan 1;774 31;AVESTA;2026-10-01;"
    result = parse_inmovers(_extract(good, row, other), today=TODAY, hash_key=KEY)
    assert [(b.line, b.code) for b in result.bad_rows] == [(3, code)]
    assert result.rows == 3
    assert result.persons_imported == 2


def test_duplicate_row_is_reported_once() -> None:
    row = "20121212-1212;Tolvan;Tolvansson;;Kungsgatan 1;774 31;AVESTA;2026-10-01;"
    result = parse_inmovers(_extract(row, row), today=TODAY, hash_key=KEY)
    assert [(b.line, b.code) for b in result.bad_rows] == [(3, "duplicate person")]
    assert result.persons_imported == 1


def test_trailing_semicolon_and_crlf_are_fine() -> None:
    data = HEADER + "\r\n" + "811218-9876;Anna;Berg;;Gatan 1;77431;AVESTA;20261001;Sala;\r\n"
    result = parse_inmovers(data.encode("cp1252"), today=TODAY, hash_key=KEY)
    assert result.bad_rows == ()
    assert result.persons[0].moved_in == date(2026, 10, 1)


def test_households_group_by_normalised_address_and_move_in_date() -> None:
    rows = [
        "811218-9876;Anna;Berg;;Kungsgatan  1;774 31;AVESTA;2026-10-01;",
        "20121212-1212;Tolvan;Berg;;KUNGSGATAN 1;77431;Avesta;2026-10-01;",
        "701063-2391;Omar;Ali;;Kungsgatan 1;774 31;AVESTA;2026-10-02;",
    ]
    result = parse_inmovers(_extract(*rows), today=TODAY, hash_key=KEY)
    assert [(len(h.adults), len(h.children)) for h in result.households] == [(1, 1), (1, 0)]
    first, second = result.households
    assert first.oldest_adult_age == 44
    assert first.household_key != second.household_key
    # A household's key depends on its address and move-in date, not on who is in it.
    alone = parse_inmovers(_extract(rows[1]), today=TODAY, hash_key=KEY).households[0]
    assert alone.household_key == first.household_key
    assert alone.adults == () and alone.oldest_adult_age is None


def test_reparse_is_deterministic(shared_bytes: bytes, parsed: InmoversParse) -> None:
    again = parse_inmovers(shared_bytes, today=TODAY, hash_key=KEY)
    assert again == parsed
    other_key = parse_inmovers(shared_bytes, today=TODAY, hash_key=b"another key")
    assert other_key.persons[0].person_key != parsed.persons[0].person_key
    assert _summary(other_key) == _summary(parsed)


def test_children_become_adults_as_today_moves(shared_bytes: bytes) -> None:
    earlier = parse_inmovers(shared_bytes, today=TODAY, hash_key=KEY)
    later = parse_inmovers(shared_bytes, today=date(2031, 11, 28), hash_key=KEY)
    adults = lambda p: sum(len(h.adults) for h in p.households)  # noqa: E731
    assert adults(later) > adults(earlier)
    assert earlier.persons_imported == later.persons_imported


def test_file_that_is_not_text_is_rejected() -> None:
    with pytest.raises(InmoversFormatError):
        parse_inmovers(b"\x81\x8d\x8f" * 10, today=TODAY, hash_key=KEY)
    with pytest.raises(InmoversFormatError):
        parse_inmovers(b"", today=TODAY, hash_key=KEY)


def test_quoted_fields_keep_line_numbers() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER.split(";"))
    writer.writerow(
        [
            "811218-9876",
            "Anna",
            "Berg",
            "",
            "Gatan 1\nLgh 1102",
            "774 31",
            "AVESTA",
            "2026-10-01",
            "",
        ]
    )
    writer.writerow(
        ["811218-9875", "Anna", "Berg", "", "Gatan 2", "774 31", "AVESTA", "2026-10-01", ""]
    )
    result = parse_inmovers(buffer.getvalue().encode(), today=TODAY, hash_key=KEY)
    # The first record spans lines 2-3, so the broken one is on line 4.
    assert [(b.line, b.code) for b in result.bad_rows] == [(4, "bad checksum")]
