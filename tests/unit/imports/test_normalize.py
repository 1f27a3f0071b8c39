"""The normalisers turn what people type into canonical values, or say clearly why not."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from avestavard.config import load_toml
from avestavard.imports.normalize import (
    LANGUAGE_CODES,
    CellValue,
    NormalizationError,
    UnknownLanguageError,
    name_key,
    normalize_area,
    normalize_email,
    normalize_name,
    normalize_phone,
    parse_birth_year,
    parse_capacity,
    parse_date,
    parse_household,
    parse_languages,
    parse_status,
    read_languages,
    split_interests,
    split_phone_numbers,
)

AREAS = load_toml("default.toml")["AREAS"]
INTERVIEW = date(2014, 3, 1)


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("070-612 31 00", "+46706123100"),
        ("070 742 1809", "+46707421809"),
        ("0707421809", "+46707421809"),
        ("+46 76 185 13 37", "+46761851337"),
        ("+46768023458", "+46768023458"),
        ("0046 70 612 31 00", "+46706123100"),
        ("+46 (0)70 612 31 00", "+46706123100"),
        ("08-123 456 78", "+46812345678"),
        ("070/612 31 00", "+46706123100"),
        (" Mobil: 070-612 31 00 ", "+46706123100"),
        ("070-612 31 00 (hem)", "+46706123100"),
        (707421809, "+46707421809"),  # a number cell: Excel dropped the leading 0
        (707421809.0, "+46707421809"),
        ("+358 40 123 4567", "+358401234567"),
    ],
)
def test_phone_numbers_become_e164(typed: CellValue, e164: str) -> None:
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize("empty", [None, "", "   ", "\u00a0"])
def test_empty_phone_is_none(empty: CellValue) -> None:
    assert normalize_phone(empty) is None


@pytest.mark.parametrize("bad", ["12345", "070-612", "ring mig", "070 612 31 00 00 00"])
def test_invalid_phone_raises_with_code(bad: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize_phone(bad)
    assert caught.value.code == "invalid_phone"
    assert bad in caught.value.message


def test_phone_in_another_region() -> None:
    assert normalize_phone("040 123 45 67", region="FI") == "+358401234567"


def test_a_cell_with_two_numbers_gives_the_first_and_lists_both() -> None:
    assert normalize_phone("070-111 22 33 / 08-123 45 67") == "+46701112233"
    assert split_phone_numbers("070-111 22 33 eller 08-123 45 67") == [
        "070-111 22 33",
        "08-123 45 67",
    ]


# --------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        (" Amanda.lundberg@avesta.se ", "amanda.lundberg@avesta.se"),
        ("Birgitta.Ekdahl@AVESTA.SE", "birgitta.ekdahl@avesta.se"),
        ("mailto:Per@Telia.com", "per@telia.com"),
        ("<eva.strid@gmail.com>", "eva.strid@gmail.com"),
        ("åsa.öberg@avesta.se", "åsa.öberg@avesta.se"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(typed: str, normalized: str) -> None:
    assert normalize_email(typed) == normalized


@pytest.mark.parametrize("bad", ["amanda.lundberg", "amanda@", "a b@avesta.se", "x@localhost"])
def test_invalid_email_raises_with_code(bad: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize_email(bad)
    assert caught.value.code == "invalid_email"


def test_empty_email_is_none() -> None:
    assert normalize_email("  ") is None
    assert normalize_email(None) is None


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("svenska, eng", ["en", "sv"]),
        ("Arabiska", ["ar"]),
        ("engelska och finska", ["en", "fi"]),
        ("sv/en", ["en", "sv"]),
        ("Somaliska", ["so"]),
        ("tigrinja", ["ti"]),
        ("persiska/farsi", ["fa"]),
        ("dari", ["fa"]),
        ("kurdish", ["ku"]),
        ("kurdiska (sorani)", ["ku"]),
        ("bosniska", ["bs"]),
        ("polska", ["pl"]),
        ("ukrainska", ["uk"]),
        ("thai", ["th"]),
        ("spanska", ["es"]),
        ("Sve och eng", ["en", "sv"]),
        ("Svenska och finska och eng", ["en", "fi", "sv"]),
        ("Svenska, English", ["en", "sv"]),
        ("lite engelska; svenska (modersmål)", ["en", "sv"]),
        ("Tyska & franska", ["de", "fr"]),
        ("ryska\nukrainska", ["ru", "uk"]),
        ("Pashto, dari", ["fa", "ps"]),
        ("amhariska, tigrinja, oromo", ["am", "om", "ti"]),
        ("engleska", ["en"]),  # a typo is forgiven
        ("serbokroatiska", ["bs", "hr", "sr"]),
        ("", []),
    ],
)
def test_languages_become_sorted_iso_639_1_codes(typed: str, codes: list[str]) -> None:
    assert parse_languages(typed) == codes


def test_unknown_language_words_are_reported_not_dropped() -> None:
    with pytest.raises(UnknownLanguageError) as caught:
        parse_languages("Svenska, klingonska och teckenspråk")
    assert caught.value.unknown == ["klingonska", "teckenspråk"]
    assert caught.value.codes == ["sv"]
    assert caught.value.code == "unknown_language"
    reading = read_languages("Svenska, klingonska")
    assert reading.codes == ("sv",)
    assert reading.unknown == ("klingonska",)


def test_at_least_forty_languages_are_known() -> None:
    assert len(LANGUAGE_CODES) >= 40
    for code in LANGUAGE_CODES:
        assert len(code) == 2 and code.islower()


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (datetime(2013, 11, 12, 0, 0), date(2013, 11, 12)),
        (date(2013, 11, 12), date(2013, 11, 12)),
        (41590, date(2013, 11, 12)),  # Excel serial number
        (41590.0, date(2013, 11, 12)),
        ("41590", date(2013, 11, 12)),
        ("2013-11-12", date(2013, 11, 12)),
        ("2013-11-12 00:00:00", date(2013, 11, 12)),
        ("2013/11/12", date(2013, 11, 12)),
        ("12/11-2013", date(2013, 11, 12)),
        ("12/11/2013", date(2013, 11, 12)),
        ("12.11.2013", date(2013, 11, 12)),
        ("12-11-2013", date(2013, 11, 12)),
        ("3/6-2014", date(2014, 6, 3)),
        ("12/11-13", date(2013, 11, 12)),
        ("131112", date(2013, 11, 12)),
        ("20131112", date(2013, 11, 12)),
        ("12 nov 2013", date(2013, 11, 12)),
        ("12 Nov. 2013", date(2013, 11, 12)),
        ("12 november 2013", date(2013, 11, 12)),
        ("20 okt 2013", date(2013, 10, 20)),
        ("21 mars 2014", date(2014, 3, 21)),
        ("19 juni 2014", date(2014, 6, 19)),
        ("1 maj 2014", date(2014, 5, 1)),
        ("5 feb 2014", date(2014, 2, 5)),
        ("12:e mars 2014", date(2014, 3, 12)),
        ("12 october 2013", date(2013, 10, 12)),
        ("November 12, 2013", date(2013, 11, 12)),
    ],
)
def test_dates_in_the_forms_people_type(typed: CellValue, expected: date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize("bad", ["snart", "32/1-2014", "2014-02-30", "12 foo 2014", "1/2"])
def test_invalid_dates_raise(bad: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        parse_date(bad)
    assert caught.value.code == "invalid_date"


def test_empty_date_is_none() -> None:
    assert parse_date(None) is None
    assert parse_date(" ") is None


# --------------------------------------------------------------------------- birth year


@pytest.mark.parametrize(
    ("typed", "is_age", "year"),
    [
        ("1964", False, 1964),
        (1964, False, 1964),
        ("64", False, 1964),
        ("94", False, 1994),  # 20 at the interview: an adult
        ("05", False, 1905),  # 2005 would make a nine-year-old host
        ("1964-04-19", False, 1964),
        (datetime(1964, 4, 19), False, 1964),
        ("19/4-1964", False, 1964),
        ("640419-1234", False, 1964),  # only the year of a personal identity number is kept
        ("45 år", False, 1969),
        ("ca 45 år", False, 1969),
        ("45", True, 1969),
        (45, True, 1969),
        (23486, False, 1964),  # a date cell that lost its format shows its serial number
    ],
)
def test_birth_year_from_year_date_or_age(typed: CellValue, is_age: bool, year: int) -> None:
    assert parse_birth_year(typed, INTERVIEW, is_age=is_age) == year


def test_an_age_counts_from_the_interview_not_from_today() -> None:
    assert parse_birth_year("45", date(2013, 10, 1), is_age=True) == 1968
    assert parse_birth_year("45 år", date(2020, 10, 1)) == 1975


@pytest.mark.parametrize("bad", ["gammal", "2015", "123", "1790", "150 år"])
def test_impossible_birth_years_raise(bad: str) -> None:
    with pytest.raises(NormalizationError) as caught:
        parse_birth_year(bad, INTERVIEW)
    assert caught.value.code == "invalid_birth_year"


def test_empty_birth_year_is_none() -> None:
    assert parse_birth_year("", INTERVIEW) is None
    assert parse_birth_year(None, INTERVIEW) is None


# --------------------------------------------------------------------------- capacity


@pytest.mark.parametrize(
    ("typed", "capacity"),
    [
        (3, 3),
        (2.0, 2),
        ("3", 3),
        ("2 st", 2),
        ("2st", 2),
        ("en", 1),
        ("ett", 1),
        ("En", 1),
        ("två", 2),
        ("tre", 3),
        ("1-2", 1),
        ("1–2", 1),
        ("1 till 2", 1),
        ("2 eller 3", 2),
        ("ett par", 2),
        ("max 2", 2),
        ("en familj", 1),
        ("0", 0),
        ("ingen just nu", 0),
    ],
)
def test_capacity_from_numbers_and_words(typed: CellValue, capacity: int) -> None:
    assert parse_capacity(typed) == capacity


@pytest.mark.parametrize("bad", ["många", "?", 2.5, "500"])
def test_unreadable_capacity_raises(bad: CellValue) -> None:
    with pytest.raises(NormalizationError) as caught:
        parse_capacity(bad)
    assert caught.value.code == "invalid_capacity"


def test_empty_capacity_is_none() -> None:
    assert parse_capacity("") is None


# --------------------------------------------------------------------------- status


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("Aktiv", "active"),
        ("aktiv ", "active"),
        ("Ja", "active"),
        ("Vilande", "paused"),
        ("Pausad", "paused"),
        ("Pausad till 1/9-2014", "paused"),
        ("Inaktiv", "paused"),
        ("Ej aktiv", "paused"),
        ("Avböjt", "declined"),
        ("avböjd", "declined"),
        ("Avbrutit", "declined"),
        ("Nej", "declined"),
        ("Vill inte vara värd", "declined"),
        ("Vilnade", "paused"),  # typo
        ("Aktv", "active"),  # typo
        ("Aktiv, men slutar kanske", "active"),  # the first status word decides
    ],
)
def test_status_words(typed: str, status: str) -> None:
    assert parse_status(typed) == status


def test_empty_status_gives_the_default() -> None:
    assert parse_status("") == "active"
    assert parse_status(None, default="paused") == "paused"


def test_unknown_status_raises() -> None:
    with pytest.raises(NormalizationError) as caught:
        parse_status("Kanske")
    assert caught.value.code == "unknown_status"


# --------------------------------------------------------------------------- interests


@pytest.mark.parametrize(
    ("typed", "interests"),
    [
        ("bowla\nfågelskådning\nveteranbilar", ["bowla", "fågelskådning", "veteranbilar"]),
        ("kaffe; snickeri; motor", ["kaffe", "snickeri", "motor"]),
        ("sticka, fåglar, kaffe och gaming", ["sticka", "fåglar", "kaffe", "gaming"]),
        ("Theater and cooking", ["Theater", "cooking"]),
        ("fiske/jakt & svamp", ["fiske", "jakt", "svamp"]),
        ("Spela golf, fika , Hundar", ["Spela golf", "fika", "Hundar"]),
        ("svamp- och bärplockning, fiske", ["svamp- och bärplockning", "fiske"]),
        ("musik (rock, pop), dans", ["musik (rock, pop)", "dans"]),
        ("- fiske\n- jakt\n", ["fiske", "jakt"]),
        ("Fiske, fiske, FISKE", ["Fiske"]),
        ("", []),
    ],
)
def test_interests_split_keeping_the_words(typed: str, interests: list[str]) -> None:
    assert split_interests(typed) == interests


# --------------------------------------------------------------------------- the rest


@pytest.mark.parametrize(
    ("typed", "area"),
    [
        ("Avesta", "Avesta centrum"),
        ("avesta c", "Avesta centrum"),
        ("Avesta centrum", "Avesta centrum"),
        ("Grytnas", "Grytnäs"),
        ("krylbo", "Krylbo"),
        ("Dalsbo", "Dalsbo"),
        ("öster dalsbo", "Öster Dalsbo"),
        ("Horndahl", "Horndal"),
    ],
)
def test_areas_are_matched_to_the_configured_localities(typed: str, area: str) -> None:
    assert normalize_area(typed, AREAS) == area


def test_unknown_area_raises() -> None:
    with pytest.raises(NormalizationError) as caught:
        normalize_area("Stockholm", AREAS)
    assert caught.value.code == "unknown_area"


@pytest.mark.parametrize(
    ("typed", "household"),
    [
        ("ensam", "single"),
        ("Singel", "single"),
        ("sambo", "couple"),
        ("Gift", "couple"),
        ("2 vuxna", "couple"),
        ("familj med barn", "family"),
        ("2 vuxna 3 barn", "family"),
        ("", None),
    ],
)
def test_household_words(typed: str, household: str | None) -> None:
    assert parse_household(typed) == household


def test_names_are_tidied_and_compared_loosely() -> None:
    assert normalize_name("AMANDA LUNDBERG") == "Amanda Lundberg"
    assert normalize_name("  anna-karin   nordin ") == "Anna-Karin Nordin"
    assert normalize_name("Eddie Rosén-Werner") == "Eddie Rosén-Werner"
    assert normalize_name("  ") is None
    assert normalize_name("?") is None
    assert name_key("Anna-Karin  NORDIN") == name_key("anna karin nordin")
    assert name_key("Åse Strid") == name_key("ase strid")
    assert name_key("Eva Strid") != name_key("Åse Strid")
