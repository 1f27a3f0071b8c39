"""Read the population-register extract of people who moved in (``inflyttade.csv``).

The municipality receives a semicolon-separated file, one row a person. This module turns it into
households for the welcome letters and keeps only what the letters need: names, birth date,
address, move-in date and previous municipality. The personal identity number itself is never
kept; a keyed hash (``person_key``) recognises the same person when an overlapping file is
imported again.

Pure Python: no database, no Flask. The import service stores the result.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

ADULT_AGE = 18

BadRowCode = Literal[
    "wrong columns",
    "bad format",
    "bad checksum",
    "impossible date",
    "name missing",
    "address missing",
    "bad postcode",
    "duplicate person",
    "too long",
]

# The longest text each column is stored in (the households' and residents' columns).
_MAX_LENGTH = {"first_name": 100, "last_name": 100, "street": 200, "town": 80, "care_of": 200}

# Column -> accepted header spellings after casefold and whitespace collapse.
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "personal_number": ("personnummer", "personnr", "person nr"),
    "first_name": ("förnamn", "fornamn", "tilltalsnamn"),
    "last_name": ("efternamn",),
    "care_of": ("c/o", "co", "c/o-adress", "careof"),
    "street": ("utdelningsadress", "gatuadress", "adress"),
    "postcode": ("postnummer", "postnr"),
    "town": ("postort", "ort"),
    "moved_in": ("inflyttningsdatum", "inflyttad", "inflyttningsdag"),
    "previous_municipality": ("tidigare kommun", "från kommun", "utflyttningskommun"),
}
_REQUIRED_COLUMNS = (
    "personal_number",
    "first_name",
    "last_name",
    "street",
    "postcode",
    "town",
    "moved_in",
)
_SWEDISH_HEADERS = {
    "personal_number": "Personnummer",
    "first_name": "Förnamn",
    "last_name": "Efternamn",
    "street": "Utdelningsadress",
    "postcode": "Postnummer",
    "town": "Postort",
    "moved_in": "Inflyttningsdatum",
}

# YYYYMMDD or YYMMDD, an optional "-" or "+", then the four last digits.
_PERSONAL_NUMBER = re.compile(r"(?P<date>\d{6}|\d{8})(?P<sep>[-+]?)(?P<tail>\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_WHITESPACE = re.compile(r"\s+")


class InmoversFormatError(ValueError):
    """The whole file cannot be read (unknown encoding, missing columns, no header)."""


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address as the register gives it; ``postcode`` is normalised to ``NNN NN``."""

    street: str
    postcode: str
    town: str
    care_of: str | None = None

    @property
    def town_display(self) -> str:
        """The town as people write it: the register's ``KARLBO`` becomes ``Karlbo``."""
        return self.town.title() if self.town.isupper() else self.town

    def single_line(self) -> str:
        """One line for lists and previews: ``Parkstigen 91, 774 42 Karlbo`` (no c/o)."""
        return f"{self.street}, {self.postcode} {self.town_display}"

    def envelope_lines(self) -> tuple[str, ...]:
        """The lines under the recipient's name in an envelope window (c/o, street, post line).

        Swedish postal practice keeps the town in capitals on the last line.
        """
        lines = [self.care_of] if self.care_of else []
        lines += [self.street, f"{self.postcode} {self.town.upper()}"]
        return tuple(lines)

    def match_key(self) -> str:
        """Street and postcode, case- and space-insensitive: who lives at the same address."""
        street = _WHITESPACE.sub(" ", self.street).strip().casefold()
        return f"{street}|{self.postcode.replace(' ', '')}"


@dataclass(frozen=True, slots=True)
class InmoverPerson:
    """One valid row of the extract, without the personal identity number."""

    line: int
    person_key: str
    first_name: str
    last_name: str
    birth_date: date
    address: Address
    moved_in: date
    previous_municipality: str | None

    @property
    def full_name(self) -> str:
        """First and last name as one string."""
        return f"{self.first_name} {self.last_name}"

    def age_on(self, today: date) -> int:
        """Completed years on ``today``."""
        return age_on(self.birth_date, today)


@dataclass(frozen=True, slots=True)
class InmoverHousehold:
    """People at one address with one move-in date; adults are 18 or older on ``today``."""

    household_key: str
    address: Address
    moved_in: date
    adults: tuple[InmoverPerson, ...]
    children: tuple[InmoverPerson, ...]
    oldest_adult_age: int | None

    @property
    def members(self) -> tuple[InmoverPerson, ...]:
        """Adults first, then children, each in file order."""
        return self.adults + self.children


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that was not imported: its physical line in the file (header = line 1) and why."""

    line: int
    code: BadRowCode
    message: str
    message_en: str


@dataclass(frozen=True, slots=True)
class InmoversParse:
    """Everything read from one file: valid persons, their households and the rejected rows."""

    encoding: str
    rows: int
    persons: tuple[InmoverPerson, ...]
    households: tuple[InmoverHousehold, ...]
    bad_rows: tuple[BadRow, ...]

    @property
    def persons_imported(self) -> int:
        """Number of valid rows (persons)."""
        return len(self.persons)


class RowError(ValueError):
    """One row cannot be imported; ``code`` is stable, the messages are for people."""

    def __init__(self, code: BadRowCode, message: str, message_en: str) -> None:
        super().__init__(code)
        self.code: BadRowCode = code
        self.message = message
        self.message_en = message_en


def parse_inmovers(data: bytes, *, today: date, hash_key: bytes) -> InmoversParse:
    """Parse a register extract; bad rows are reported by line, the rest become households.

    ``today`` decides the century of ten-digit personal identity numbers and who counts as an
    adult. ``hash_key`` keys the HMAC that replaces the personal identity number; it must stay the
    same between imports so that a person imported twice is recognised.
    """
    if not hash_key:
        raise ValueError("hash_key must not be empty")
    text, encoding = decode_extract(data)
    records = _records(text)
    try:
        _, header = next(records)
    except StopIteration:
        raise InmoversFormatError("Filen är tom / the file is empty") from None
    columns = _map_header(header)

    persons: list[InmoverPerson] = []
    bad_rows: list[BadRow] = []
    seen_keys: set[str] = set()
    rows = 0
    for line, fields in records:
        rows += 1
        try:
            person = _parse_row(line, fields, columns, len(header), today, hash_key)
            if person.person_key in seen_keys:
                raise RowError(
                    "duplicate person",
                    "Personen finns redan på en tidigare rad i filen",
                    "The same person is on an earlier line of the file",
                )
        except RowError as error:
            bad_rows.append(BadRow(line, error.code, error.message, error.message_en))
            continue
        seen_keys.add(person.person_key)
        persons.append(person)

    return InmoversParse(
        encoding=encoding,
        rows=rows,
        persons=tuple(persons),
        households=group_households(persons, today=today, hash_key=hash_key),
        bad_rows=tuple(bad_rows),
    )


def decode_extract(data: bytes) -> tuple[str, str]:
    """Decode the file: UTF-8 with or without byte order mark, otherwise Windows-1252.

    A strict UTF-8 decode of Swedish text in Windows-1252 fails on the first å, ä or ö, so
    trying UTF-8 first and falling back is reliable for these files.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise InmoversFormatError(
                f"Filen är inte giltig UTF-8 / the file is not valid UTF-8 (byte {error.start})"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise InmoversFormatError(
            "Filen är varken UTF-8 eller Windows-1252 / "
            f"the file is neither UTF-8 nor Windows-1252 (byte {error.start})"
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (first physical line, fields) for each non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    next_line = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # The only error csv raises here: a field longer than its limit (128 KiB), as
            # when an unclosed quote swallows the rest of the file. No extract has one.
            limit = csv.field_size_limit() // 1024
            raise InmoversFormatError(
                f"Ett fält från rad {next_line} är längre än {limit} KiB (ofta ett citattecken "
                "som aldrig avslutas); filen läses inte / a field from line "
                f"{next_line} is longer than {limit} KiB; the file is not read"
            ) from None
        line = next_line
        # A quoted field may span lines: the next record starts after the reader's position.
        next_line = reader.line_num + 1
        if not any(field.strip() for field in fields):
            continue
        yield line, fields


def _header_key(name: str) -> str:
    return _WHITESPACE.sub(" ", name.replace("\ufeff", "")).strip().casefold()


def _map_header(header: list[str]) -> dict[str, int]:
    positions = {_header_key(name): index for index, name in enumerate(header)}
    columns: dict[str, int] = {}
    for column, aliases in _HEADER_ALIASES.items():
        for alias in aliases:
            if alias in positions:
                columns[column] = positions[alias]
                break
    missing = [_SWEDISH_HEADERS[c] for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InmoversFormatError(
            "Kolumner saknas i rubrikraden / missing columns in the header: " + ", ".join(missing)
        )
    return columns


def _parse_row(
    line: int,
    fields: list[str],
    columns: dict[str, int],
    width: int,
    today: date,
    hash_key: bytes,
) -> InmoverPerson:
    # A trailing ";" adds empty fields; anything else than the header's width means a broken row.
    if len(fields) < width or any(f.strip() for f in fields[width:]):
        raise RowError(
            "wrong columns",
            f"Raden har {len(fields)} fält, rubrikraden {width}",
            f"The row has {len(fields)} fields, the header {width}",
        )

    def field(column: str) -> str:
        index = columns.get(column)
        return "" if index is None else _WHITESPACE.sub(" ", fields[index]).strip()

    for column, limit in _MAX_LENGTH.items():
        if len(field(column)) > limit:
            raise RowError(
                "too long",
                f"Ett fält är längre än {limit} tecken",
                f"A field is longer than {limit} characters",
            )
    normalised, birth_date = parse_personal_number(field("personal_number"), today=today)
    first_name, last_name = field("first_name"), field("last_name")
    if not first_name or not last_name:
        raise RowError(
            "name missing", "Förnamn eller efternamn saknas", "First or last name missing"
        )
    street, postcode_raw, town = field("street"), field("postcode"), field("town")
    if not street or not postcode_raw or not town:
        raise RowError(
            "address missing",
            "Adress saknas (utdelningsadress, postnummer eller postort)",
            "Address missing (street, postcode or town)",
        )
    postcode_digits = postcode_raw.replace(" ", "")
    if not re.fullmatch(r"\d{5}", postcode_digits):
        raise RowError(
            "bad postcode",
            f"Ogiltigt postnummer: {postcode_raw}",
            f"Invalid postcode: {postcode_raw}",
        )
    moved_in = _parse_move_in(field("moved_in"))
    return InmoverPerson(
        line=line,
        person_key=person_key(normalised, hash_key),
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        address=Address(
            street=street,
            postcode=f"{postcode_digits[:3]} {postcode_digits[3:]}",
            town=town,
            care_of=field("care_of") or None,
        ),
        moved_in=moved_in,
        previous_municipality=field("previous_municipality") or None,
    )


def parse_personal_number(raw: str, *, today: date) -> tuple[str, date]:
    """Validate a personal identity or coordination number; return (``YYYYMMDDNNNC``, birth date).

    Accepts ``YYYYMMDD-NNNC``, ``YYMMDD-NNNC`` and ``YYMMDD+NNNC`` (``+``: 100 years or older),
    with or without the separator. A ten-digit number gets the century that makes the person
    younger than 100 on ``today`` (older with ``+``). Coordination numbers carry day + 60.
    Raises :class:`RowError` with code ``bad format``, ``bad checksum`` or ``impossible date``.
    """
    match = _PERSONAL_NUMBER.fullmatch(raw.replace(" ", ""))
    if match is None:
        raise RowError(
            "bad format",
            f"Personnumret har fel format: {raw!r}",
            f"Malformed personal identity number: {raw!r}",
        )
    digits, sep, tail = match["date"], match["sep"], match["tail"]
    if not luhn_valid(digits[-6:] + tail):
        raise RowError(
            "bad checksum",
            "Personnumrets kontrollsiffra stämmer inte",
            "The check digit of the personal identity number is wrong",
        )
    month, day = int(digits[-4:-2]), int(digits[-2:])
    birth_day = day - 60 if day > 60 else day
    if len(digits) == 8:
        year = int(digits[:4])
    else:
        year = _century_year(int(digits[:2]), month, birth_day, today, centenarian=sep == "+")
    try:
        birth_date = date(year, month, birth_day)
    except ValueError:
        raise RowError(
            "impossible date",
            f"Födelsedatumet i personnumret finns inte ({raw})",
            f"The birth date in the personal identity number does not exist ({raw})",
        ) from None
    if birth_date > today:
        raise RowError(
            "impossible date",
            f"Födelsedatumet ligger i framtiden ({raw})",
            f"The birth date is in the future ({raw})",
        )
    return f"{year:04d}{digits[-4:]}{tail}", birth_date


def _century_year(yy: int, month: int, day: int, today: date, *, centenarian: bool) -> int:
    # Latest year ending in yy whose birthday is not after today; "+" adds a century of age.
    year = today.year - (today.year - yy) % 100
    if (month, day) > (today.month, today.day) and year == today.year:
        year -= 100
    return year - 100 if centenarian else year


def luhn_valid(ten_digits: str) -> bool:
    """Luhn check over the ten-digit form ``YYMMDDNNNC`` of a personal identity number."""
    total = 0
    for index, char in enumerate(ten_digits[:9]):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10 == int(ten_digits[9])


def _parse_move_in(raw: str) -> date:
    match = _ISO_DATE.fullmatch(raw)
    if match is None:
        raise RowError(
            "impossible date",
            f"Inflyttningsdatum saknas eller har fel format: {raw!r}",
            f"Move-in date missing or malformed: {raw!r}",
        )
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise RowError(
            "impossible date",
            f"Inflyttningsdatumet finns inte: {raw}",
            f"The move-in date does not exist: {raw}",
        ) from None


def age_on(birth_date: date, today: date) -> int:
    """Completed years on ``today`` (someone born on 29 February turns a year older on 1 March)."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def group_households(
    persons: Sequence[InmoverPerson], *, today: date, hash_key: bytes
) -> tuple[InmoverHousehold, ...]:
    """Group persons by address (street + postcode) and move-in date, in order of first row."""
    groups: dict[tuple[str, date], list[InmoverPerson]] = {}
    for person in persons:
        groups.setdefault((person.address.match_key(), person.moved_in), []).append(person)

    households = []
    for (address_key, moved_in), members in groups.items():
        adults = tuple(p for p in members if p.age_on(today) >= ADULT_AGE)
        children = tuple(p for p in members if p.age_on(today) < ADULT_AGE)
        # The letter goes to the adults, so their c/o wins over a child's.
        care_of = next((p.address.care_of for p in adults + children if p.address.care_of), None)
        first = members[0].address
        households.append(
            InmoverHousehold(
                household_key=household_key(address_key, moved_in, hash_key),
                address=Address(first.street, first.postcode, first.town, care_of),
                moved_in=moved_in,
                adults=adults,
                children=children,
                oldest_adult_age=max((p.age_on(today) for p in adults), default=None),
            )
        )
    return tuple(households)


def household_key(address_key: str, moved_in: date, hash_key: bytes) -> str:
    """Stable key of a household: HMAC of the normalised address and the move-in date."""
    return _hmac_hex(hash_key, f"{address_key}|{moved_in.isoformat()}")


def person_key(normalised_number: str, hash_key: bytes) -> str:
    """The stored stand-in for a personal identity number (``YYYYMMDDNNNC``): HMAC-SHA256, hex."""
    return _hmac_hex(hash_key, normalised_number)


def _hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
