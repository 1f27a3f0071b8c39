"""Reading the coordinators' legacy Excel database into plain, normalised records.

The workbook is what people kept by hand: a sheet of hosts from interviews (AvestaVärdar), a
sheet of newcomers who asked for a host (Intresseanmälningar) and a sheet of pairs made by hand
(Matchningar). Real copies differ: title rows above the headers, headers worded differently,
sheets renamed, values typed in many forms. :func:`parse_legacy_workbook` finds its way through
that and returns a :class:`LegacyImport`: every host, newcomer and match ready to be saved, plus
what could not be read (``errors``) and what was read with a doubt (``warnings``), each with the
sheet and the row number as Excel shows it.

Pure Python: no database, no Flask. The service that saves the records is built on top.
"""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet
from rapidfuzz import fuzz, process

from avestavard.config import load_toml
from avestavard.imports.normalize import (
    CellValue,
    HostStatusValue,
    HouseholdValue,
    NormalizationError,
    clean_text,
    fold,
    name_key,
    normalize_area,
    normalize_email,
    normalize_name,
    normalize_phone,
    parse_birth_year,
    parse_capacity,
    parse_date,
    parse_household,
    parse_status,
    read_languages,
    split_emails,
    split_interests,
    split_phone_numbers,
    unique,
)
from avestavard.imports.xlsx_limits import UnsafeWorkbook, check_workbook

SheetKind = Literal["hosts", "newcomers", "matches"]

# How far down a sheet the header row may be (below titles, logos and blank rows).
_HEADER_SEARCH_ROWS = 30


class LegacyImportError(Exception):
    """The file cannot be read as a workbook at all (not .xlsx, damaged, empty)."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class SourceRow:
    """Where a record came from: sheet name and row number as Excel shows it (1-based)."""

    sheet: str
    row: int


@dataclass(frozen=True, slots=True)
class Issue:
    """Something to tell the coordinator about a sheet, row or cell.

    ``row`` is ``None`` for the sheet or workbook as a whole. ``code`` is stable for
    translation (``name_missing``, ``invalid_phone``, ``unknown_column`` ...); ``message`` is
    English and names the value concerned. ``column`` is the header text, when one applies.
    """

    sheet: str
    row: int | None
    message: str
    code: str
    column: str | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        """``{"sheet", "row", "message"}`` as the import's JSON report prints it."""
        return {"sheet": self.sheet, "row": self.row, "message": self.message}


@dataclass(frozen=True, slots=True)
class UnknownColumn:
    """A column whose header means nothing we know; its values are kept in ``extra``."""

    sheet: str
    column: str  # spreadsheet letter, e.g. "R"
    header: str


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """How one sheet was read: as what, with headers on which row, each column as what."""

    name: str
    kind: SheetKind
    header_row: int
    columns: tuple[tuple[str, str, str | None], ...]  # (letter, header, field or None)


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonRecord:
    """What a host's and a newcomer's record share.

    ``key`` identifies the person inside this import (their email, else their phone, else
    ``name:<name key>``); matches refer to it. Text fields are ``""`` when empty, other fields
    ``None``. ``extra`` holds values from unknown columns and values that could not be
    normalised, by header, so nothing is lost. ``other_contacts`` holds further phone numbers
    and emails (a second number in a cell, an older address from a merged duplicate).
    ``kept_row`` is the row whose interview was kept.
    """

    key: str
    name: str
    email: str | None
    phone: str | None
    birth_year: int | None
    languages: tuple[str, ...]
    preferred_language: str | None
    area: str | None
    address: str | None
    household: HouseholdValue | None
    interests_raw: tuple[str, ...]
    past: str
    present: str
    future: str
    notes: str
    other_contacts: tuple[str, ...]
    extra: Mapping[str, str]
    source_rows: tuple[SourceRow, ...]
    kept_row: SourceRow

    @property
    def name_key(self) -> str:
        """The name as compared across rows (case, accents, blanks and hyphens ignored)."""
        return name_key(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRecord(PersonRecord):
    """One host (AvestaVärd), after duplicates were merged, ready to be saved.

    ``capacity`` is ``None`` when the sheet did not say.
    """

    capacity: int | None
    status: HostStatusValue
    paused_until: date | None
    thoughts: str
    interviewer: str | None
    interviewed_on: date | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewcomerRecord(PersonRecord):
    """One newcomer who asked for a host, ready to be saved; ``status_raw`` is the sheet's
    status text, if it had one."""

    moved_in: date | None
    registered_on: date | None
    wishes: str
    status_raw: str | None


@dataclass(frozen=True, slots=True)
class MatchRecord:
    """A pair made by hand: ``host_key`` and ``newcomer_key`` are keys of records in the same
    :class:`LegacyImport`. ``status_raw`` is the sheet's status text ("Träffats" ...)."""

    host_key: str
    newcomer_key: str
    matched_on: date | None
    status_raw: str | None
    notes: str
    extra: Mapping[str, str]
    source_row: SourceRow


@dataclass(frozen=True, slots=True)
class LegacyImport:
    """Everything read from one workbook.

    ``host_rows`` counts the data rows read from host sheets (empty rows, summary rows and rows
    reported in ``errors`` not included), so ``host_rows == len(hosts) + duplicates_merged``;
    the same holds for newcomers. ``match_rows`` counts the match rows that were read.
    """

    hosts: tuple[HostRecord, ...]
    newcomers: tuple[NewcomerRecord, ...]
    matches: tuple[MatchRecord, ...]
    host_rows: int
    newcomer_rows: int
    match_rows: int
    duplicates_merged: int
    newcomer_duplicates_merged: int
    errors: tuple[Issue, ...]
    warnings: tuple[Issue, ...]
    unknown_columns: tuple[UnknownColumn, ...]
    sheets: tuple[SheetInfo, ...]

    def host(self, key: str) -> HostRecord:
        """The host with ``key`` (as used by matches); ``KeyError`` if there is none."""
        for host in self.hosts:
            if host.key == key:
                return host
        raise KeyError(key)

    def newcomer(self, key: str) -> NewcomerRecord:
        """The newcomer with ``key`` (as used by matches); ``KeyError`` if there is none."""
        for newcomer in self.newcomers:
            if newcomer.key == key:
                return newcomer
        raise KeyError(key)


# --------------------------------------------------------------------------- headers


def _words(text: str) -> tuple[str, ...]:
    """``"a | b c | d"`` -> ``("a", "b c", "d")``: keeps the alias tables one line per field."""
    return tuple(word.strip() for word in text.split("|") if word.strip())


# Field -> header wordings, per kind of sheet. Compared case- and accent-insensitively with
# punctuation and blanks removed ("E-post" == "epost"), then fuzzily, then by containment.
_PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "name": _words(
        "namn | name | fullständigt namn | för- och efternamn | förnamn och efternamn"
        " | förnamn efternamn | full name"
    ),
    "first_name": _words("förnamn | first name | firstname | given name | tilltalsnamn"),
    "last_name": _words("efternamn | last name | lastname | surname | family name"),
    "phone": _words(
        "telefon | tel | tfn | telefonnummer | telnr | tel nr | mobil | mobilnummer"
        " | mobiltelefon | mobiltel | mob | phone | mobile | phone number | cell"
    ),
    "email": _words(
        "e-post | epost | e-postadress | mail | e-mail | email | mailadress | mejl | mejladress"
        " | email address"
    ),
    "address": _words("adress | gatuadress | bostadsadress | postadress | address | street"),
    "birth": _words(
        "född | födelseår | födelsedatum | födelsedag | född år | födelse | personnummer | pnr"
        " | birth year | year of birth | born | date of birth | birthdate | dob"
    ),
    "age": _words("ålder | age | ålder år"),
    "area": _words(
        "område | bostadsområde | ort | bostadsort | stadsdel | tätort | kommundel | by | bor i"
        " | area | locality | district"
    ),
    "languages": _words(
        "språk | språkkunskaper | talar | talade språk | modersmål | languages | language"
        " | spoken languages | mother tongue"
    ),
    "preferred_language": _words(
        "önskat språk | föredraget språk | brevspråk | kontaktspråk | preferred language"
    ),
    "interests": _words(
        "intressen | intresse | fritidsintressen | fritidsintresse | hobby | hobbies | hobbyer"
        " | fritid | interests"
    ),
    "past": _words("dåtid | bakgrund | past"),
    "present": _words("nutid | nuläge | present"),
    "future": _words("framtid | framtiden | future"),
    "household": _words(
        "hushåll | hushållstyp | familj | familjesituation | civilstånd | bor med | household"
    ),
    "notes": _words(
        "kommentar | kommentarer | anteckning | anteckningar | notering | noteringar"
        " | anmärkning | anm | notes | note | comment | comments"
    ),
}

_HOST_FIELDS: dict[str, tuple[str, ...]] = {
    **_PERSON_FIELDS,
    "thoughts": _words(
        "tankar om uppdraget | andra tankar kring uppdraget | tankar kring uppdraget | tankar"
        " | övrigt | thoughts"
    ),
    "capacity": _words(
        "kan ta emot | antal nyinflyttade | kapacitet | hur många | antal familjer"
        " | antal hushåll | max antal | capacity"
    ),
    "status": _words("status | aktiv/vilande"),
    "interviewer": _words(
        "intervjuare | intervjuad av | intervjuat av | intervju av | samordnare | handläggare"
        " | interviewer | interviewed by"
    ),
    "interviewed_on": _words(
        "intervjudatum | datum | intervjuad | intervju | intervjudag | datum för intervju"
        " | interview date | date"
    ),
}

_NEWCOMER_FIELDS: dict[str, tuple[str, ...]] = {
    **_PERSON_FIELDS,
    "notes": (*_PERSON_FIELDS["notes"], "övrigt"),
    "moved_in": _words(
        "inflyttad | inflyttningsdatum | inflyttning | flyttade in | flyttdatum"
        " | inflyttningsdag | moved in | move-in date"
    ),
    "registered_on": _words(
        "anmäld | anmälningsdatum | anmälan | registrerad | registreringsdatum | datum"
        " | registered | date"
    ),
    "wishes": _words("önskemål | önskemål om värd | önskar | önskningar | wishes"),
    "status": _words("status"),
}

_MATCH_FIELDS: dict[str, tuple[str, ...]] = {
    "host": _words("värd | avestavärd | värdens namn | värdnamn | värd namn | host | host name"),
    "newcomer": _words(
        "nyinflyttad | nyinflyttade | nyinflyttads namn | nyanländ | ny avestabo | newcomer"
        " | newcomer name"
    ),
    "host_email": _words("värd e-post | värdens e-post | värd epost | värd mail | host email"),
    "newcomer_email": _words(
        "nyinflyttad e-post | nyinflyttads e-post | nyinflyttad mail | newcomer email"
    ),
    "matched_on": _words(
        "datum | matchad | matchningsdatum | matchdatum | kopplad | startdatum | date | matched"
    ),
    "status": _words("status"),
    "notes": (*_PERSON_FIELDS["notes"], "övrigt"),
}

_FIELDS_BY_KIND: dict[SheetKind, dict[str, tuple[str, ...]]] = {
    "hosts": _HOST_FIELDS,
    "newcomers": _NEWCOMER_FIELDS,
    "matches": _MATCH_FIELDS,
}

# Fields that only one kind of sheet has: they tell an oddly named sheet's kind.
_DISTINCTIVE: dict[SheetKind, frozenset[str]] = {
    "hosts": frozenset({"past", "present", "future", "thoughts", "capacity", "interviewer"}),
    "newcomers": frozenset({"moved_in", "wishes"}),
    "matches": frozenset({"host", "newcomer"}),
}

_SHEET_NAMES: dict[SheetKind, tuple[str, ...]] = {
    "hosts": _words(
        "avestavärdar | avestavärd | värdar | värder | värd | hosts | host | intervjuer"
        " | volontärer | volunteers"
    ),
    "newcomers": _words(
        "intresseanmälningar | intresseanmälan | anmälningar | anmälan | nyinflyttade"
        " | nyinflyttad | inflyttade | nyanlända | väntelista | kölista | newcomers"
    ),
    "matches": _words(
        "matchningar | matchning | matcher | matchade | matches | par | pairs | parningar"
        " | kopplingar"
    ),
}


def _key(text: str) -> str:
    """Header or sheet name as compared: folded, letters and digits only."""
    return re.sub(r"[\W_]+", "", fold(text))


_ALIAS_KEYS: dict[SheetKind, dict[str, str]] = {
    kind: {_key(alias): name for name, aliases in fields.items() for alias in aliases}
    for kind, fields in _FIELDS_BY_KIND.items()
}


def _header_field(header: str, kind: SheetKind) -> str | None:
    """The field a header names on a sheet of ``kind``, or ``None`` if it names none."""
    aliases = _ALIAS_KEYS[kind]
    key = _key(header)
    if not key:
        return None
    if key in aliases:
        return aliases[key]
    # "Telefon (mobil)", "E-post:": the words outside brackets decide.
    bare = _key(re.sub(r"\([^)]*\)|\[[^\]]*\]", "", header))
    if bare in aliases:
        return aliases[bare]
    if len(bare) >= 5:
        found = process.extractOne(bare, list(aliases), scorer=fuzz.ratio, score_cutoff=85)
        if found is not None:
            return aliases[found[0]]
    # "Telefonnummer hem", "Andra tankar om att vara värd": the earliest known word decides
    # (Swedish puts the head word first); among words starting at the same place, the longest.
    contained = [
        (bare.find(alias), -len(alias), field_name)
        for alias, field_name in aliases.items()
        if len(alias) >= 5 and alias in bare
    ]
    return min(contained)[2] if contained else None


def _sheet_kind_by_name(title: str) -> SheetKind | None:
    key = _key(title)
    if not key:
        return None
    for kind, names in _SHEET_NAMES.items():
        if key in {_key(name) for name in names}:
            return kind
    containing = {
        kind
        for kind, names in _SHEET_NAMES.items()
        for name in names
        if len(_key(name)) >= 5 and _key(name) in key
    }
    if len(containing) == 1:
        return containing.pop()
    candidates = {_key(name): kind for kind, names in _SHEET_NAMES.items() for name in names}
    found = process.extractOne(
        key, [name for name in candidates if len(name) >= 5], scorer=fuzz.ratio, score_cutoff=85
    )
    return candidates[found[0]] if found is not None else None


# --------------------------------------------------------------------------- reading sheets


@dataclass(frozen=True, slots=True)
class _Header:
    row: int  # 1-based
    fields: dict[int, str]  # column index (0-based) -> field
    texts: dict[int, str]  # column index -> header as written

    @property
    def field_names(self) -> set[str]:
        return set(self.fields.values())


def _cell_is_blank(value: CellValue) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        text = clean_text(value)
        # Excel's error values say nothing about the person.
        return not text or text in {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!"}
    return False


def _plain(value: object) -> CellValue:
    """A cell value as one of the plain types the normalisers take (Decimal -> float ...)."""
    if value is None or isinstance(value, str | int | float | date | time):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _sheet_rows(ws: Worksheet) -> tuple[list[list[CellValue]], dict[int, set[int]]]:
    """All rows of a sheet as lists of values, with vertically merged cells filled down, and
    which cells were filled (row index -> column indexes), so a row holding nothing but a
    filled cell still counts as empty."""
    rows = [[_plain(value) for value in row] for row in ws.iter_rows(values_only=True)]
    filled: dict[int, set[int]] = {}
    for merged in ws.merged_cells.ranges:
        if merged.min_row == merged.max_row:
            # A title across columns belongs to one cell, not to every column under it.
            continue
        top = rows[merged.min_row - 1][merged.min_col - 1]
        for row_number in range(merged.min_row + 1, merged.max_row + 1):
            if row_number - 1 < len(rows):
                rows[row_number - 1][merged.min_col - 1] = top
                filled.setdefault(row_number - 1, set()).add(merged.min_col - 1)
    return rows, filled


def _find_header(rows: Sequence[Sequence[CellValue]], kind: SheetKind) -> _Header | None:
    """The row (among the first ones) that names the most known fields, at least two."""
    best: _Header | None = None
    for index, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        fields: dict[int, str] = {}
        texts: dict[int, str] = {}
        for column, value in enumerate(row):
            if not isinstance(value, str) or _cell_is_blank(value):
                continue
            texts[column] = clean_text(value)
            found = _header_field(value, kind)
            if found is not None:
                fields[column] = found
        header = _Header(row=index + 1, fields=fields, texts=texts)
        if len(header.field_names) < 2:
            continue
        if kind == "matches" and not {"host", "newcomer"} <= header.field_names:
            continue
        if best is None or len(header.field_names) > len(best.field_names):
            best = header
    return best


# "Totalt: 40 värdar", "Summa", "Antal: 12"; but not a person called Antal Nagy.
_SUMMARY_ROW = re.compile(r"^(?:totalt|summa)\b|^(?:total|sum|antal)\s*[:=]", re.I)


def _is_summary_row(values: Sequence[CellValue]) -> bool:
    """A totals row: a few cells, one of them starting "Totalt"/"Summa", no email address."""
    filled = [clean_text(value) for value in values if not _cell_is_blank(value)]
    if not filled or len(filled) > 4 or any("@" in text for text in filled):
        return False
    return any(_SUMMARY_ROW.match(text) for text in filled[:2])


@dataclass(slots=True)
class _Row:
    """One data row: values per field (columns in order), header texts, unknown values."""

    sheet: str
    number: int
    values: dict[str, list[CellValue]]
    headers: dict[str, list[str]]
    extra: dict[str, str]

    @property
    def source(self) -> SourceRow:
        return SourceRow(self.sheet, self.number)

    def get(self, name: str) -> list[CellValue]:
        return self.values.get(name, [])

    def header(self, name: str) -> str:
        return ", ".join(self.headers.get(name, [name]))

    def text(self, name: str, *, multiline: bool = False) -> str:
        """All values of a field as one text (several columns joined by line breaks)."""
        return "\n".join(unique(clean_text(v, multiline=multiline) for v in self.get(name)))


class _Collector:
    """Gathers errors and warnings in the order they are found."""

    def __init__(self) -> None:
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []

    def error(self, sheet: str, row: int | None, code: str, message: str) -> None:
        self.errors.append(Issue(sheet, row, message, code))

    def warn(
        self, sheet: str, row: int | None, code: str, message: str, column: str | None = None
    ) -> None:
        self.warnings.append(Issue(sheet, row, message, code, column))


@dataclass(slots=True)
class _ParsedSheet:
    info: SheetInfo
    rows: list[_Row]


def _data_rows(
    title: str,
    rows: Sequence[Sequence[CellValue]],
    filled: Mapping[int, set[int]],
    header: _Header,
    issues: _Collector,
    unknown_columns: list[UnknownColumn],
) -> list[_Row]:
    """The rows below the header as :class:`_Row`; empty and summary rows skipped silently."""
    for column, text in header.texts.items():
        if column not in header.fields:
            letter = get_column_letter(column + 1)
            unknown_columns.append(UnknownColumn(title, letter, text))
            issues.warn(
                title,
                header.row,
                "unknown_column",
                f"unknown column {text!r} ({letter}); its values are kept as extra information",
                text,
            )
    header_keys = {column: _key(text) for column, text in header.texts.items()}
    warned_unlabelled: set[int] = set()
    result: list[_Row] = []
    for index in range(header.row, len(rows)):
        values = rows[index]
        number = index + 1
        own = [v for c, v in enumerate(values) if c not in filled.get(index, set())]
        if all(_cell_is_blank(value) for value in own) or _is_summary_row(own):
            continue
        repeats = sum(
            1
            for column, value in enumerate(values)
            if isinstance(value, str)
            and column in header_keys
            and len(value) <= 2 * len(header.texts[column]) + 10
            and _key(value) == header_keys[column]
        )
        if repeats >= 2:
            issues.warn(title, number, "repeated_header", "the header row repeated; ignored")
            continue
        row = _Row(title, number, {}, {}, {})
        for column, value in enumerate(values):
            if _cell_is_blank(value):
                continue
            if column in header.fields:
                name = header.fields[column]
                row.values.setdefault(name, []).append(value)
                row.headers.setdefault(name, []).append(header.texts[column])
            elif column in header.texts:
                row.extra[header.texts[column]] = clean_text(value, multiline=True)
            else:
                letter = get_column_letter(column + 1)
                row.extra[f"Kolumn {letter}"] = clean_text(value, multiline=True)
                if column not in warned_unlabelled:
                    warned_unlabelled.add(column)
                    issues.warn(
                        title,
                        number,
                        "unlabelled_column",
                        f"column {letter} has values but no header; they are kept as extra "
                        "information",
                    )
        result.append(row)
    return result


# --------------------------------------------------------------------------- person fields


@dataclass(slots=True)
class _PersonDraft:
    """A person read from one row, before duplicates are merged."""

    row: _Row
    name: str
    email: str | None = None
    phone: str | None = None
    other_contacts: list[str] = field(default_factory=list)
    birth_year: int | None = None
    languages: tuple[str, ...] = ()
    preferred_language: str | None = None
    area: str | None = None
    address: str | None = None
    household: HouseholdValue | None = None
    interests_raw: tuple[str, ...] = ()
    past: str = ""
    present: str = ""
    future: str = ""
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # hosts
    thoughts: str = ""
    capacity: int | None = None
    status: HostStatusValue | None = None
    paused_until: date | None = None
    interviewer: str | None = None
    interviewed_on: date | None = None
    # newcomers
    moved_in: date | None = None
    registered_on: date | None = None
    wishes: str = ""
    status_raw: str | None = None

    @property
    def newest_date(self) -> date | None:
        return self.interviewed_on or self.registered_on


def _row_name(row: _Row) -> str | None:
    for value in row.get("name"):
        if name := normalize_name(value):
            return name
    first = " ".join(clean_text(v) for v in row.get("first_name"))
    last = " ".join(clean_text(v) for v in row.get("last_name"))
    return normalize_name(f"{first} {last}")


def _read_contacts(draft: _PersonDraft, issues: _Collector) -> None:
    row = draft.row
    phones: list[str] = []
    for value in row.get("phone"):
        for candidate in split_phone_numbers(value):
            try:
                phone = normalize_phone(candidate)
            except NormalizationError as exc:
                issues.warn(row.sheet, row.number, exc.code, exc.message, row.header("phone"))
                draft.extra[row.header("phone")] = clean_text(value)
                continue
            if phone is not None:
                phones.append(phone)
    emails: list[str] = []
    for value in row.get("email"):
        for candidate in split_emails(value):
            try:
                email = normalize_email(candidate)
            except NormalizationError as exc:
                issues.warn(row.sheet, row.number, exc.code, exc.message, row.header("email"))
                draft.extra[row.header("email")] = clean_text(value)
                continue
            if email is not None:
                emails.append(email)
    phones, emails = unique(phones), unique(emails)
    draft.phone = phones[0] if phones else None
    draft.email = emails[0] if emails else None
    draft.other_contacts = [*phones[1:], *emails[1:]]
    if len(phones) > 1 or len(emails) > 1:
        issues.warn(
            row.sheet,
            row.number,
            "several_contacts",
            f"several phone numbers or emails; {draft.phone or draft.email} is used, the others "
            "are kept as other contacts",
        )


def _parse_field(
    draft: _PersonDraft,
    issues: _Collector,
    name: str,
    parse: Callable[[CellValue], object],
) -> object:
    """The first value of field ``name`` that parses; failures warned and kept in ``extra``."""
    row = draft.row
    for value in row.get(name):
        try:
            parsed = parse(value)
        except NormalizationError as exc:
            issues.warn(row.sheet, row.number, exc.code, exc.message, row.header(name))
            draft.extra[row.header(name)] = clean_text(value, multiline=True)
            continue
        if parsed is not None:
            return parsed
    return None


def _read_languages(draft: _PersonDraft, issues: _Collector) -> None:
    row = draft.row
    codes: set[str] = set()
    for value in row.get("languages"):
        reading = read_languages(value)
        codes.update(reading.codes)
        if reading.unknown:
            words = ", ".join(repr(word) for word in reading.unknown)
            issues.warn(
                row.sheet,
                row.number,
                "unknown_language",
                f"unknown language {words} in {clean_text(value)!r}",
                row.header("languages"),
            )
            draft.extra[row.header("languages")] = clean_text(value)
    draft.languages = tuple(sorted(codes))
    for value in row.get("preferred_language"):
        reading = read_languages(value)
        if len(reading.codes) == 1 and not reading.unknown:
            draft.preferred_language = reading.codes[0]
            break
        issues.warn(
            row.sheet,
            row.number,
            "unknown_language",
            f"preferred language {clean_text(value)!r} is not one known language",
            row.header("preferred_language"),
        )
        draft.extra[row.header("preferred_language")] = clean_text(value)


def _read_birth_year(
    draft: _PersonDraft, issues: _Collector, reference: date | None, today: date
) -> None:
    row = draft.row
    for name, is_age in (("birth", False), ("age", True)):
        for value in row.get(name):
            text = clean_text(value)
            looks_like_age = is_age or bool(re.search(r"\d\s*(?:år|years?|yrs)\b", text, re.I))
            if reference is None and looks_like_age:
                issues.warn(
                    row.sheet,
                    row.number,
                    "age_without_date",
                    f"age {text!r} counted from today ({today.isoformat()}): the row has no date",
                    row.header(name),
                )
            try:
                year = parse_birth_year(value, reference or today, is_age=is_age)
            except NormalizationError as exc:
                issues.warn(row.sheet, row.number, exc.code, exc.message, row.header(name))
                draft.extra[row.header(name)] = text
                continue
            if year is not None:
                draft.birth_year = year
                return


def _read_person(
    row: _Row, name: str, kind: SheetKind, areas: Sequence[str], issues: _Collector, today: date
) -> _PersonDraft:
    """Every field of a host or newcomer row, normalised; doubts become warnings."""
    draft = _PersonDraft(row=row, name=name, extra=dict(row.extra))
    _read_contacts(draft, issues)
    if kind == "hosts":
        draft.interviewed_on = _as_date(_parse_field(draft, issues, "interviewed_on", parse_date))
    else:
        draft.moved_in = _as_date(_parse_field(draft, issues, "moved_in", parse_date))
        draft.registered_on = _as_date(_parse_field(draft, issues, "registered_on", parse_date))
    reference = draft.interviewed_on or draft.registered_on or draft.moved_in
    _read_birth_year(draft, issues, reference, today)
    _read_languages(draft, issues)

    area_text = row.text("area")
    if area_text:
        try:
            draft.area = normalize_area(area_text, areas)
        except NormalizationError as exc:
            draft.area = area_text
            issues.warn(
                row.sheet,
                row.number,
                exc.code,
                f"{exc.message}: kept as written",
                row.header("area"),
            )
    draft.address = row.text("address") or None
    draft.household = _household(_parse_field(draft, issues, "household", parse_household))
    interests: list[str] = []
    for value in row.get("interests"):
        interests.extend(split_interests(value))
    draft.interests_raw = tuple(unique(interests))
    draft.past = row.text("past", multiline=True)
    draft.present = row.text("present", multiline=True)
    draft.future = row.text("future", multiline=True)
    draft.notes = row.text("notes", multiline=True)

    if kind == "hosts":
        draft.thoughts = row.text("thoughts", multiline=True)
        capacity = _parse_field(draft, issues, "capacity", parse_capacity)
        draft.capacity = capacity if isinstance(capacity, int) else None
        status_text = row.text("status")
        if status_text:
            try:
                draft.status = parse_status(status_text)
            except NormalizationError as exc:
                issues.warn(
                    row.sheet,
                    row.number,
                    exc.code,
                    f"{exc.message}; kept as extra information (a host without a readable "
                    "status is active)",
                    row.header("status"),
                )
                draft.extra[row.header("status")] = status_text
            draft.paused_until = _until_date(status_text)
        draft.interviewer = row.text("interviewer") or None
    else:
        draft.wishes = row.text("wishes", multiline=True)
        draft.status_raw = row.text("status") or None
    return draft


def _as_date(value: object) -> date | None:
    return value if isinstance(value, date) else None


def _until_date(status_text: str) -> date | None:
    """The date in "Vilande till 1/9-2014" / "Pausad t.o.m. 2014-09-01", if any."""
    found = re.search(r"\b(?:till|t\.o\.m\.?|tom|until|to)\s+(.+)$", status_text, re.I)
    if not found:
        return None
    try:
        return parse_date(found[1].strip(" .)"))
    except NormalizationError:
        return None


# --------------------------------------------------------------------------- merging


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _group_duplicates(drafts: Sequence[_PersonDraft]) -> list[list[int]]:
    """Indexes of drafts that are the same person (same email or same phone), in row order."""
    groups = _UnionFind(len(drafts))
    first_seen: dict[str, int] = {}
    for index, draft in enumerate(drafts):
        for contact in (draft.email, draft.phone):
            if contact is None:
                continue
            if contact in first_seen:
                groups.union(first_seen[contact], index)
            else:
                first_seen[contact] = index
    by_root: dict[int, list[int]] = {}
    for index in range(len(drafts)):
        by_root.setdefault(groups.find(index), []).append(index)
    return sorted(by_root.values(), key=lambda members: members[0])


def _first(values: Iterable[object], empty: object = None) -> object:
    for value in values:
        if value not in (None, "", ()):
            return value
    return empty


@dataclass(slots=True)
class _Merged:
    """Drafts of one person, newest first, and the combined values."""

    drafts: list[_PersonDraft]
    indexes: list[int]  # positions of the drafts in reading order, same order as ``drafts``
    other_names: list[str]

    def pick(self, name: str, empty: object = None) -> object:
        # The newest row wins; older rows only fill what the newest left empty.
        return _first((getattr(draft, name) for draft in self.drafts), empty)

    def text(self, name: str) -> str:
        value = self.pick(name, "")
        return value if isinstance(value, str) else ""

    def optional_text(self, name: str) -> str | None:
        value = self.pick(name)
        return value if isinstance(value, str) else None

    def optional_int(self, name: str) -> int | None:
        value = self.pick(name)
        return value if isinstance(value, int) else None

    def optional_date(self, name: str) -> date | None:
        value = self.pick(name)
        return value if isinstance(value, date) else None

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.pick(name, ())
        return tuple(value) if isinstance(value, tuple) else ()

    @property
    def sources(self) -> tuple[SourceRow, ...]:
        in_reading_order = sorted(zip(self.indexes, self.drafts, strict=True), key=lambda p: p[0])
        return tuple(draft.row.source for _, draft in in_reading_order)

    def contacts(self, email: str | None, phone: str | None) -> tuple[str, ...]:
        found: list[str] = []
        for draft in self.drafts:
            found.extend(c for c in (draft.phone, draft.email) if c is not None)
            found.extend(draft.other_contacts)
        return tuple(c for c in unique(found) if c not in (email, phone))

    def extra(self) -> dict[str, str]:
        combined: dict[str, str] = {}
        for draft in reversed(self.drafts):  # oldest first, newest overwrites
            combined.update(draft.extra)
        return combined


def _merge_duplicates(
    drafts: Sequence[_PersonDraft], issues: _Collector, what: str
) -> tuple[list[_Merged], int]:
    """One :class:`_Merged` per person; the number of rows folded into another."""
    merged: list[_Merged] = []
    folded = 0
    for members in _group_duplicates(drafts):
        # Newest interview (or registration) first; between equal dates the later row wins.
        indexes = sorted(
            members, key=lambda i: (drafts[i].newest_date or date.min, i), reverse=True
        )
        ordered = [drafts[i] for i in indexes]
        folded += len(ordered) - 1
        kept = ordered[0]
        names = unique(d.name for d in ordered)
        for draft in ordered[1:]:
            if (
                name_key(draft.name) != name_key(kept.name)
                and fuzz.token_sort_ratio(name_key(draft.name), name_key(kept.name)) < 85
            ):
                issues.warn(
                    draft.row.sheet,
                    draft.row.number,
                    "merged_different_names",
                    f"{what} {draft.name!r} has the same email or phone as {kept.name!r} "
                    f"(row {kept.row.number}) and was merged into it; check that this is one "
                    "person",
                )
        merged.append(_Merged(drafts=ordered, indexes=indexes, other_names=names[1:]))
    return merged, folded


def _record_key(email: str | None, phone: str | None, name: str, taken: set[str]) -> str:
    key = email or phone or f"name:{name_key(name)}"
    candidate, suffix = key, 2
    while candidate in taken:
        candidate, suffix = f"{key}#{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _warn_people(merged: Sequence[_Merged], issues: _Collector, what: str) -> None:
    """Warnings a coordinator should see: nobody to contact, namesakes that may be one."""
    seen_names: dict[str, _PersonDraft] = {}
    for person in merged:
        kept = person.drafts[0]
        if person.pick("email") is None and person.pick("phone") is None:
            issues.warn(
                kept.row.sheet,
                kept.row.number,
                "no_contact",
                f"{what} {kept.name!r} has neither email nor phone",
            )
        key = name_key(kept.name)
        if key in seen_names:
            earlier = seen_names[key]
            issues.warn(
                kept.row.sheet,
                kept.row.number,
                "possible_duplicate",
                f"{what} {kept.name!r} has the same name as row {earlier.row.number} but other "
                "contact details; imported as a separate person",
            )
        else:
            seen_names[key] = kept


RecordT = TypeVar("RecordT", bound=PersonRecord)


def _person_record(
    person: _Merged, taken: set[str], record_type: type[RecordT], **own: Any
) -> RecordT:
    """The record of one merged host or newcomer: the shared fields, and ``own`` (the
    record type's own); its key is added to ``taken``."""
    kept = person.drafts[0]
    email, phone = person.optional_text("email"), person.optional_text("phone")
    return record_type(
        key=_record_key(email, phone, kept.name, taken),
        name=kept.name,
        email=email,
        phone=phone,
        birth_year=person.optional_int("birth_year"),
        languages=person.strings("languages"),
        preferred_language=person.optional_text("preferred_language"),
        area=person.optional_text("area"),
        address=person.optional_text("address"),
        household=_household(person.pick("household")),
        interests_raw=person.strings("interests_raw"),
        past=person.text("past"),
        present=person.text("present"),
        future=person.text("future"),
        notes=person.text("notes"),
        other_contacts=person.contacts(email, phone),
        extra=person.extra(),
        source_rows=person.sources,
        kept_row=kept.row.source,
        **own,
    )


def _build_hosts(
    drafts: Sequence[_PersonDraft], issues: _Collector
) -> tuple[list[HostRecord], list[_Merged], int]:
    merged, folded = _merge_duplicates(drafts, issues, "host")
    _warn_people(merged, issues, "host")
    taken: set[str] = set()
    hosts: list[HostRecord] = []
    for person in merged:
        status = person.pick("status", "active")
        hosts.append(
            _person_record(
                person,
                taken,
                HostRecord,
                capacity=person.optional_int("capacity"),
                status=status if status in ("paused", "declined") else "active",
                paused_until=person.optional_date("paused_until"),
                thoughts=person.text("thoughts"),
                interviewer=person.optional_text("interviewer"),
                interviewed_on=person.optional_date("interviewed_on"),
            )
        )
    return hosts, merged, folded


def _household(value: object) -> HouseholdValue | None:
    if value == "single":
        return "single"
    if value == "couple":
        return "couple"
    if value == "family":
        return "family"
    return None


def _build_newcomers(
    drafts: Sequence[_PersonDraft], issues: _Collector
) -> tuple[list[NewcomerRecord], list[_Merged], int]:
    merged, folded = _merge_duplicates(drafts, issues, "newcomer")
    _warn_people(merged, issues, "newcomer")
    taken: set[str] = set()
    newcomers: list[NewcomerRecord] = []
    for person in merged:
        newcomers.append(
            _person_record(
                person,
                taken,
                NewcomerRecord,
                moved_in=person.optional_date("moved_in"),
                registered_on=person.optional_date("registered_on"),
                wishes=person.text("wishes"),
                status_raw=person.optional_text("status_raw"),
            )
        )
    return newcomers, merged, folded


# --------------------------------------------------------------------------- matches

_EMAIL_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass(slots=True)
class _PeopleIndex:
    """Finds the key of a parsed person from an email, a phone number or a name."""

    by_contact: dict[str, str]
    by_name: dict[str, set[str]]
    names: dict[str, str]  # key -> name, for messages

    @classmethod
    def build(
        cls, records: Sequence[HostRecord | NewcomerRecord], merged: Sequence[_Merged]
    ) -> _PeopleIndex:
        index = cls({}, {}, {})
        for record, person in zip(records, merged, strict=True):
            index.names[record.key] = record.name
            for contact in (record.email, record.phone, *record.other_contacts):
                if contact is not None:
                    index.by_contact.setdefault(contact, record.key)
            for name in (record.name, *person.other_names):
                index.by_name.setdefault(name_key(name), set()).add(record.key)
        return index

    def resolve(self, value: CellValue, email_value: CellValue) -> tuple[str | None, str]:
        """``(key, "")`` when found; ``(key, note)`` when found by a near name;
        ``(None, reason)`` when not found."""
        for candidate in (email_value, value):
            text = clean_text(candidate)
            found = _EMAIL_IN_TEXT.search(text)
            if found:
                try:
                    email = normalize_email(found[0])
                except NormalizationError:
                    email = None
                if email in self.by_contact:
                    return self.by_contact[email], ""
        text = clean_text(value)
        if sum(ch.isdigit() for ch in text) >= 7 and not re.search(r"[^\W\d_]{3,}", text):
            try:
                phone = normalize_phone(text)
            except NormalizationError:
                phone = None
            if phone in self.by_contact:
                return self.by_contact[phone], ""
        name = normalize_name(_EMAIL_IN_TEXT.sub("", text).strip(" ()<>,;"))
        if not name:
            return None, f"{text!r} not found"
        keys = self.by_name.get(name_key(name), set())
        if len(keys) == 1:
            return next(iter(keys)), ""
        if len(keys) > 1:
            return None, f"{name!r} is ambiguous: several people have that name"
        near = process.extract(
            name_key(name), list(self.by_name), scorer=fuzz.ratio, score_cutoff=90, limit=2
        )
        if len(near) == 1 and len(self.by_name[near[0][0]]) == 1:
            key = next(iter(self.by_name[near[0][0]]))
            return key, f"{name!r} read as {self.names[key]!r}"
        return None, f"{name!r} not found"


def _read_matches(
    sheet: _ParsedSheet,
    hosts: _PeopleIndex,
    newcomers: _PeopleIndex,
    issues: _Collector,
    seen: dict[tuple[str, str], int],
    newcomer_rows: dict[str, int],
) -> tuple[list[MatchRecord], int]:
    matches: list[MatchRecord] = []
    read = 0
    for row in sheet.rows:
        host_value = _first(row.get("host"), None)
        newcomer_value = _first(row.get("newcomer"), None)
        host_email = _first(row.get("host_email"), None)
        newcomer_email = _first(row.get("newcomer_email"), None)
        if host_value is None and host_email is None:
            issues.error(row.sheet, row.number, "host_missing", "host missing")
            continue
        if newcomer_value is None and newcomer_email is None:
            issues.error(row.sheet, row.number, "newcomer_missing", "newcomer missing")
            continue
        host_key, host_note = hosts.resolve(_plain(host_value), _plain(host_email))
        newcomer_key, newcomer_note = newcomers.resolve(
            _plain(newcomer_value), _plain(newcomer_email)
        )
        if host_key is None:
            issues.error(row.sheet, row.number, "host_not_found", f"host {host_note}")
        if newcomer_key is None:
            issues.error(row.sheet, row.number, "newcomer_not_found", f"newcomer {newcomer_note}")
        if host_key is None or newcomer_key is None:
            continue
        read += 1
        for who, note in (("host", host_note), ("newcomer", newcomer_note)):
            if note:
                issues.warn(row.sheet, row.number, "near_name", f"{who} {note}")
        pair = (host_key, newcomer_key)
        if pair in seen:
            issues.warn(
                row.sheet,
                row.number,
                "duplicate_match",
                f"the same pair as row {seen[pair]}; imported once",
            )
            continue
        seen[pair] = row.number
        if newcomer_key in newcomer_rows:
            issues.warn(
                row.sheet,
                row.number,
                "newcomer_matched_twice",
                f"newcomer {newcomers.names[newcomer_key]!r} is also matched on row "
                f"{newcomer_rows[newcomer_key]}",
            )
        newcomer_rows.setdefault(newcomer_key, row.number)
        matched_on: date | None = None
        for value in row.get("matched_on"):
            try:
                matched_on = parse_date(value)
                break
            except NormalizationError as exc:
                issues.warn(row.sheet, row.number, exc.code, exc.message, row.header("matched_on"))
                row.extra[row.header("matched_on")] = clean_text(value)
        matches.append(
            MatchRecord(
                host_key=host_key,
                newcomer_key=newcomer_key,
                matched_on=matched_on,
                status_raw=row.text("status") or None,
                notes=row.text("notes", multiline=True),
                extra=dict(row.extra),
                source_row=row.source,
            )
        )
    return matches, read


# --------------------------------------------------------------------------- workbook


def _open_workbook(source: Path | str | bytes | BinaryIO) -> openpyxl.Workbook:
    if isinstance(source, bytes | bytearray):
        with io.BytesIO(source) as buffer:
            return _load_checked(buffer)
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as file:
                return _load_checked(file)
        except OSError as exc:
            raise LegacyImportError(f"Filen går inte att öppna: {exc.strerror}") from exc
    return _load_checked(source)


def _load_checked(file: BinaryIO) -> openpyxl.Workbook:
    """Load the workbook once :func:`check_workbook` has found it safe to load."""
    try:
        check_workbook(file)
    except UnsafeWorkbook as exc:
        raise LegacyImportError(str(exc)) from exc
    with warnings.catch_warnings():
        # openpyxl warns about workbook features it ignores (data validation, styles); they
        # do not change the values read.
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(file, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise LegacyImportError(
                f"Filen är inte en Excelfil (.xlsx) som går att läsa ({exc})."
            ) from exc
        except (ParseError, TypeError, AttributeError, IndexError, EOFError, zlib.error) as exc:
            # openpyxl's readers assume well-formed parts; a damaged one fails in any of these.
            raise LegacyImportError(
                "Filen är trasig eller ofullständig. Spara den på nytt i Excel och ladda upp igen."
            ) from exc
    return workbook


def _classify(
    ws: Worksheet, rows: Sequence[Sequence[CellValue]]
) -> tuple[SheetKind, _Header] | None:
    """What a sheet holds, from its headers when they tell, otherwise from its name."""
    headers = {kind: _find_header(rows, kind) for kind in _FIELDS_BY_KIND}

    def distinctive(kind: SheetKind) -> int:
        header = headers[kind]
        return len(header.field_names & _DISTINCTIVE[kind]) if header else 0

    by_header: SheetKind | None = None
    if headers["matches"] is not None:
        by_header = "matches"
    elif distinctive("hosts") > distinctive("newcomers"):
        by_header = "hosts"
    elif distinctive("newcomers") > distinctive("hosts"):
        by_header = "newcomers"
    kind = by_header or _sheet_kind_by_name(ws.title)
    if kind is None:
        return None
    header = headers[kind]
    return (kind, header) if header is not None else None


def _in_sheet_order(issues: Iterable[Issue], sheet_order: Mapping[str, int]) -> tuple[Issue, ...]:
    """Issues by sheet (as in the workbook) and row, the workbook's own ones first."""
    return tuple(
        sorted(issues, key=lambda issue: (sheet_order.get(issue.sheet, -1), issue.row or 0))
    )


def parse_legacy_workbook(
    source: Path | str | bytes | BinaryIO,
    *,
    areas: Sequence[str] | None = None,
    today: date | None = None,
) -> LegacyImport:
    """Read the coordinators' Excel database into normalised hosts, newcomers and matches.

    ``source`` is a path, the file's bytes or an open binary file. ``areas`` are the
    municipality's localities that typed areas are matched to (default: ``AREAS`` from
    ``config/default.toml``). ``today`` is used only to count an age when a row has no date.

    Sheets are recognised by their headers or, failing that, their names; the header row is
    found below any title rows. Hosts entered twice (same email or phone) are merged into one,
    keeping the newest interview and filling its gaps from the older rows. Rows without a name,
    and matches naming nobody imported, are ``errors``; empty and summary rows are skipped;
    every other row is kept, with ``warnings`` for values that could not be read. Raises
    :class:`LegacyImportError` if the file is not a readable .xlsx workbook.
    """
    today = today or date.today()
    if areas is None:
        areas = list(load_toml("default.toml").get("AREAS", []))
    workbook = _open_workbook(source)
    issues = _Collector()
    unknown_columns: list[UnknownColumn] = []
    sheets: dict[SheetKind, list[_ParsedSheet]] = {"hosts": [], "newcomers": [], "matches": []}
    for ws in workbook.worksheets:
        rows, filled = _sheet_rows(ws)
        if all(_cell_is_blank(value) for row in rows for value in row):
            continue
        classified = _classify(ws, rows)
        if classified is None:
            issues.warn(
                ws.title,
                None,
                "sheet_ignored",
                "sheet not recognised as hosts, newcomers or matches (no known header row); "
                "ignored",
            )
            continue
        kind, header = classified
        info = SheetInfo(
            name=ws.title,
            kind=kind,
            header_row=header.row,
            columns=tuple(
                (get_column_letter(column + 1), text, header.fields.get(column))
                for column, text in sorted(header.texts.items())
            ),
        )
        data = _data_rows(ws.title, rows, filled, header, issues, unknown_columns)
        sheets[kind].append(_ParsedSheet(info, data))
    sheet_order = {ws.title: position for position, ws in enumerate(workbook.worksheets)}
    workbook.close()
    if not sheets["hosts"]:
        issues.warn("", None, "no_hosts_sheet", "no sheet of hosts found in the workbook")

    drafts: dict[SheetKind, list[_PersonDraft]] = {"hosts": [], "newcomers": []}
    for kind in ("hosts", "newcomers"):
        for sheet in sheets[kind]:
            for row in sheet.rows:
                name = _row_name(row)
                if name is None:
                    issues.error(row.sheet, row.number, "name_missing", "name missing")
                    continue
                drafts[kind].append(_read_person(row, name, kind, areas, issues, today))
    hosts, merged_hosts, hosts_folded = _build_hosts(drafts["hosts"], issues)
    newcomers, merged_newcomers, newcomers_folded = _build_newcomers(drafts["newcomers"], issues)

    host_index = _PeopleIndex.build(hosts, merged_hosts)
    newcomer_index = _PeopleIndex.build(newcomers, merged_newcomers)
    matches: list[MatchRecord] = []
    match_rows = 0
    seen_pairs: dict[tuple[str, str], int] = {}
    matched_newcomers: dict[str, int] = {}
    for sheet in sheets["matches"]:
        found, read = _read_matches(
            sheet, host_index, newcomer_index, issues, seen_pairs, matched_newcomers
        )
        matches.extend(found)
        match_rows += read

    return LegacyImport(
        hosts=tuple(hosts),
        newcomers=tuple(newcomers),
        matches=tuple(matches),
        host_rows=len(drafts["hosts"]),
        newcomer_rows=len(drafts["newcomers"]),
        match_rows=match_rows,
        duplicates_merged=hosts_folded,
        newcomer_duplicates_merged=newcomers_folded,
        errors=_in_sheet_order(issues.errors, sheet_order),
        warnings=_in_sheet_order(issues.warnings, sheet_order),
        unknown_columns=tuple(unknown_columns),
        sheets=tuple(sheet.info for kind_sheets in sheets.values() for sheet in kind_sheets),
    )
