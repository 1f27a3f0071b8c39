"""Small, pure normalisers for the values people type: phone numbers, emails, languages, dates,
birth years, capacities, statuses, households, areas, names and interest lists.

Used by the legacy Excel import and by the web forms. Every function takes what a person (or a
spreadsheet cell) gives and returns a canonical value, ``None`` for "nothing given", or raises
:class:`NormalizationError` with a short English message and a stable ``code`` that a user
interface can translate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from openpyxl.utils.datetime import from_excel
from rapidfuzz import fuzz, process

HostStatusValue = Literal["active", "paused", "declined"]
HouseholdValue = Literal["single", "couple", "family"]

CellValue = str | int | float | date | datetime | time | bool | None
"""What an openpyxl cell (or a form field) can hand us."""

# Excel's serial day numbers: 1 is 1900-01-01, 2958465 is 9999-12-31.
_EXCEL_SERIAL_MAX = 2958465


class NormalizationError(ValueError):
    """A value that was given but cannot be understood.

    ``code`` is stable (``invalid_phone``, ``unknown_language`` ...) so an interface can show its
    own translated text; ``message`` is a short English explanation including the value.
    """

    def __init__(self, message: str, *, code: str = "invalid", value: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.value = value


class UnknownLanguageError(NormalizationError):
    """Some words in a language list are not languages we know.

    The languages that *were* recognised are in ``codes`` so a caller can keep them.
    """

    def __init__(self, unknown: Sequence[str], codes: Sequence[str]) -> None:
        words = ", ".join(repr(word) for word in unknown)
        super().__init__(f"unknown language {words}", code="unknown_language", value=unknown)
        self.unknown = list(unknown)
        self.codes = list(codes)


# --------------------------------------------------------------------------- text helpers


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` ("Grytnäs" -> "grytnas") for comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_text(value: CellValue, *, multiline: bool = False) -> str:
    """A cell or form value as tidy text: no surrounding blanks, no non-breaking spaces.

    Single-line text has inner runs of blanks collapsed; ``multiline`` text keeps its line
    breaks (Excel's ``\\r\\n`` becomes ``\\n``) and only trims each line.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\r\n", "\n")
    text = text.replace("\r", "\n")
    if multiline:
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
        return "\n".join(lines).strip()
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- names


def normalize_name(value: CellValue) -> str | None:
    """A person's name, tidied: blanks trimmed and collapsed, SHOUTED or lower-case names
    capitalised ("AMANDA LUNDBERG" -> "Amanda Lundberg"). Mixed-case names are kept as written
    ("Eddie Rosén-Werner", "Hans af Ugglas")."""
    text = clean_text(value)
    if not text or not any(ch.isalpha() for ch in text):
        return None
    if fold(text) in {"saknas", "okant", "okand", "n/a", "na", "namn saknas", "unknown"}:
        return None
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) > 1 and (text.isupper() or text.islower()):
        # str.title() capitalises after hyphens and apostrophes too: "anna-karin" -> "Anna-Karin".
        text = text.title()
    return text


def name_key(name: str) -> str:
    """A key under which names differing only in case, accents, blanks, hyphens or dots are equal
    ("Anna-Karin  NORDIN" and "anna karin nordin" -> "annakarinnordin")."""
    return re.sub(r"[\W_]+", "", fold(name))


# --------------------------------------------------------------------------- phone and email

_PHONE_LABEL = re.compile(
    r"^\s*(?:tel(?:efon)?|tfn|mobil(?:nr|nummer)?|mob|phone|mobile|cell)\.?\s*:?\s*", re.I
)
_PHONE_SEPARATORS = re.compile(r"\s*(?:[,;\n]|\beller\b|\bor\b)\s*", re.I)


def split_phone_numbers(text: CellValue) -> list[str]:
    """The phone numbers written in one cell, as typed ("070-1 / 08-2" -> two strings).

    A slash separates two numbers only when both sides are long enough to be whole numbers,
    because "070/612 31 00" is an old way of writing a single number.
    """
    if text is None or text == "":
        return []
    if isinstance(text, int | float) and not isinstance(text, bool):
        # Excel stores a number typed without "+" as a number and drops the leading 0.
        return [str(int(text))] if float(text).is_integer() else [str(text)]
    candidates: list[str] = []
    for part in _PHONE_SEPARATORS.split(clean_text(text)):
        pieces = part.split("/")
        digit_counts = [sum(ch.isdigit() for ch in piece) for piece in pieces]
        if len(pieces) > 1 and all(count >= 7 for count in digit_counts):
            candidates.extend(piece.strip() for piece in pieces)
        elif part.strip():
            candidates.append(part.strip())
    return candidates


def normalize_phone(text: CellValue, region: str = "SE") -> str | None:
    """A phone number in E.164 ("070-612 31 00" -> "+46706123100"), ``None`` when empty.

    Numbers without a country code are read as numbers of ``region``. A label ("Mobil: ") or a
    comment in brackets ("(hem)") is ignored; if the cell holds several numbers the first is
    returned (use :func:`split_phone_numbers` to see them all). Raises
    :class:`NormalizationError` (code ``invalid_phone``) for anything that is not a valid number.
    """
    candidates = split_phone_numbers(text)
    if not candidates:
        return None
    raw = candidates[0]
    cleaned = _PHONE_LABEL.sub("", raw)
    # A comment like "(hem)" must go: phonenumbers would read its letters as a vanity number.
    cleaned = re.sub(r"\([^()]*[^\W\d_][^()]*\)", "", cleaned).strip()
    if any(ch.isalpha() for ch in cleaned):
        raise NormalizationError(f"invalid phone number {raw!r}", code="invalid_phone", value=raw)
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException as exc:
        raise NormalizationError(
            f"invalid phone number {raw!r}", code="invalid_phone", value=raw
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError(f"invalid phone number {raw!r}", code="invalid_phone", value=raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def split_emails(text: CellValue) -> list[str]:
    """The email addresses written in one cell ("a@x.se; b@y.se" -> two strings)."""
    cleaned = clean_text(text)
    if not cleaned:
        return []
    return [part for part in re.split(r"[\s,;/]+(?:och\s+|and\s+|eller\s+)?", cleaned) if part]


def normalize_email(text: CellValue) -> str | None:
    """An email address trimmed and lower-cased, ``None`` when empty.

    Validated with ``email_validator`` (syntax only: no DNS lookup). A ``mailto:`` prefix or
    angle brackets are removed. Raises :class:`NormalizationError` (code ``invalid_email``).
    """
    cleaned = clean_text(text)
    if not cleaned:
        return None
    cleaned = re.sub(r"^mailto:", "", cleaned, flags=re.I).strip("<>\"' ;,.").lower()
    try:
        result = validate_email(cleaned, check_deliverability=False)
    except EmailNotValidError as exc:
        raise NormalizationError(
            f"invalid email address {clean_text(text)!r}: {exc}", code="invalid_email", value=text
        ) from exc
    return result.normalized.lower()


# --------------------------------------------------------------------------- languages

# ISO 639-1 code -> names people write: Swedish, English, own name, common abbreviations.
# Covers the languages most spoken among people moving to Sweden and Sweden's own languages.
_LANGUAGE_NAMES: dict[str, tuple[str, ...]] = {
    "sv": ("svenska", "swedish", "svensk", "sve", "swe", "sv"),
    "en": ("engelska", "english", "eng", "engl", "en"),
    "fi": ("finska", "finnish", "suomi", "fin", "fi"),
    "ar": ("arabiska", "arabic", "arab", "ara", "ar", "العربية"),
    "so": ("somaliska", "somali", "soomaali", "som", "so"),
    "ti": ("tigrinja", "tigrinya", "tigrinska", "tigrigna", "tir", "ti"),
    "am": ("amhariska", "amharic", "amh", "am"),
    "om": ("oromo", "oromiska", "oromiffa", "afaan oromo", "orm", "om"),
    "fa": ("persiska", "persian", "farsi", "dari", "dari-persiska", "fas", "per", "prs", "fa"),
    "ps": ("pashto", "pashtu", "pashtuiska", "pushtu", "pus", "ps"),
    "ku": ("kurdiska", "kurdish", "kurdi", "sorani", "kurmanji", "kurmandji", "kur", "ku"),
    "tr": ("turkiska", "turkish", "türkçe", "tur", "tr"),
    "bs": ("bosniska", "bosnian", "bosanski", "bos", "bs"),
    "hr": ("kroatiska", "croatian", "hrvatski", "hrv", "hr"),
    "sr": ("serbiska", "serbian", "srpski", "srp", "sr"),
    "sq": ("albanska", "albanian", "shqip", "alb", "sqi", "sq"),
    "mk": ("makedonska", "macedonian", "mkd", "mk"),
    "pl": ("polska", "polish", "polski", "pol", "pl"),
    "uk": ("ukrainska", "ukrainian", "українська", "ukr", "uk"),
    "ru": ("ryska", "russian", "русский", "rus", "ru"),
    "ro": ("rumänska", "romanian", "română", "ron", "rum", "ro"),
    "bg": ("bulgariska", "bulgarian", "bul", "bg"),
    "hu": ("ungerska", "hungarian", "magyar", "hun", "hu"),
    "cs": ("tjeckiska", "czech", "čeština", "ces", "cs"),
    "sk": ("slovakiska", "slovak", "slk", "sk"),
    "sl": ("slovenska", "slovenian", "slovene", "slv", "sl"),
    "et": ("estniska", "estonian", "eesti", "est", "et"),
    "lv": ("lettiska", "latvian", "lav", "lv"),
    "lt": ("litauiska", "lithuanian", "lit", "lt"),
    "el": ("grekiska", "greek", "ελληνικά", "ell", "el"),
    "de": ("tyska", "german", "deutsch", "deu", "ger", "de"),
    "fr": ("franska", "french", "français", "fra", "fre", "fr"),
    "es": ("spanska", "spanish", "español", "castellano", "spa", "es"),
    "it": ("italienska", "italian", "italiano", "ita", "it"),
    "pt": ("portugisiska", "portuguese", "português", "por", "pt"),
    "nl": ("nederländska", "holländska", "dutch", "nederlands", "nld", "nl"),
    "da": ("danska", "danish", "dansk", "dan", "da"),
    "no": ("norska", "norwegian", "norsk", "nor", "no"),
    "is": ("isländska", "icelandic", "isl", "is"),
    "se": ("samiska", "nordsamiska", "sami", "northern sami", "sme", "se"),
    "yi": ("jiddisch", "yiddish", "yid", "yi"),
    "hy": ("armeniska", "armenian", "hye", "hy"),
    "ka": ("georgiska", "georgian", "kat", "ka"),
    "az": ("azerbajdzjanska", "azerbaijani", "azeri", "aze", "az"),
    "he": ("hebreiska", "hebrew", "heb", "he"),
    "ur": ("urdu", "urd", "ur"),
    "hi": ("hindi", "hin", "hi"),
    "pa": ("punjabi", "panjabi", "pan", "pa"),
    "bn": ("bengali", "bengaliska", "bangla", "ben", "bn"),
    "ta": ("tamil", "tamilska", "tam", "ta"),
    "si": ("singalesiska", "sinhala", "sinhalese", "sin", "si"),
    "ne": ("nepali", "nepalesiska", "nep", "ne"),
    "uz": ("uzbekiska", "uzbek", "uzb", "uz"),
    "tg": ("tadzjikiska", "tajik", "tgk", "tg"),
    "mn": ("mongoliska", "mongolian", "mon", "mn"),
    "zh": ("kinesiska", "chinese", "mandarin", "kantonesiska", "cantonese", "中文", "zho", "zh"),
    "ja": ("japanska", "japanese", "jpn", "ja"),
    "ko": ("koreanska", "korean", "kor", "ko"),
    "vi": ("vietnamesiska", "vietnamese", "vie", "vi"),
    "th": ("thailändska", "thai", "tha", "th"),
    "tl": ("tagalog", "filipino", "tagalogiska", "tgl", "tl"),
    "ms": ("malajiska", "malay", "msa", "ms"),
    "id": ("indonesiska", "indonesian", "bahasa indonesia", "ind", "id"),
    "my": ("burmesiska", "burmese", "mya", "my"),
    "km": ("khmer", "kambodjanska", "khm", "km"),
    "sw": ("swahili", "kiswahili", "swa", "sw"),
    "rw": ("kinyarwanda", "rwandiska", "kin", "rw"),
    "ln": ("lingala", "lin", "ln"),
    "yo": ("yoruba", "yor", "yo"),
    "ig": ("igbo", "ibo", "ig"),
    "ha": ("hausa", "hau", "ha"),
    "wo": ("wolof", "wol", "wo"),
    "ff": ("fula", "fulani", "fulfulde", "pular", "ful", "ff"),
    "mg": ("malagassiska", "malagasy", "mlg", "mg"),
}

# Words that name several languages at once: a speaker understands each of them.
_LANGUAGE_GROUPS: dict[str, tuple[str, ...]] = {
    "serbokroatiska": ("bs", "hr", "sr"),
    "serbo-croatian": ("bs", "hr", "sr"),
    "bks": ("bs", "hr", "sr"),
    "bosniska/kroatiska/serbiska": ("bs", "hr", "sr"),
}

# Words that qualify a language rather than name one ("lite engelska", "svenska (modersmål)").
_LANGUAGE_FILLERS = frozenset(
    fold(word)
    for phrase in (
        "och lite bra god goda flytande grundläggande modersmål hemspråk språk språket talar",
        "även samt plus m.m mm etc osv viss vissa kan förstår nybörjare",
        "and some basic fluent native good little a bit speaks mother tongue also",
    )
    for word in phrase.split(" ")
)

_LANGUAGE_LOOKUP: dict[str, frozenset[str]] = {}
for _code, _names in _LANGUAGE_NAMES.items():
    for _name in _names:
        _LANGUAGE_LOOKUP.setdefault(fold(_name), frozenset())
        _LANGUAGE_LOOKUP[fold(_name)] = _LANGUAGE_LOOKUP[fold(_name)] | {_code}
for _name, _codes in _LANGUAGE_GROUPS.items():
    _LANGUAGE_LOOKUP[fold(_name)] = frozenset(_codes)

# Full names (longer than an abbreviation) for prefix and typo matching.
_LANGUAGE_FULL_NAMES: dict[str, str] = {
    fold(name): code for code, names in _LANGUAGE_NAMES.items() for name in names if len(name) > 3
}

LANGUAGE_CODES: frozenset[str] = frozenset(_LANGUAGE_NAMES)
"""Every ISO 639-1 code the language parser can produce."""

_LANGUAGE_SPLIT = re.compile(r"[,;/&+()\[\]\n|]+|\s+(?:och|and|samt|eller|or)\s+", re.I)


def _language_word(word: str) -> frozenset[str] | None:
    """The codes one folded word names: exact, a unique prefix ("sve") or a typo ("engleska")."""
    word = word.strip(" .:-'\"")
    if not word:
        return frozenset()
    if word in _LANGUAGE_LOOKUP:
        return _LANGUAGE_LOOKUP[word]
    if len(word) >= 3:
        prefixed = {code for name, code in _LANGUAGE_FULL_NAMES.items() if name.startswith(word)}
        if len(prefixed) == 1:
            return frozenset(prefixed)
    if len(word) >= 5:
        found = process.extractOne(
            word, list(_LANGUAGE_FULL_NAMES), scorer=fuzz.ratio, score_cutoff=85
        )
        if found is not None:
            return frozenset({_LANGUAGE_FULL_NAMES[found[0]]})
    return None


@dataclass(frozen=True, slots=True)
class LanguageReading:
    """What :func:`read_languages` found: ISO 639-1 ``codes`` and the ``unknown`` words."""

    codes: tuple[str, ...]
    unknown: tuple[str, ...]


def read_languages(text: CellValue) -> LanguageReading:
    """Languages named in free text, without raising: sorted ISO 639-1 codes plus the words that
    were not recognised (as written), so a caller can keep the codes and report the rest."""
    cleaned = clean_text(text, multiline=True)
    codes: set[str] = set()
    unknown: list[str] = []
    for phrase in _LANGUAGE_SPLIT.split(cleaned):
        phrase = phrase.strip(" .:-")
        if not phrase:
            continue
        whole = _language_word(fold(phrase))
        if whole:
            codes |= whole
            continue
        # "lite engelska", "svenska modersmål", "dari-persiska": look at each word.
        for word in re.split(r"[\s\-]+", phrase):
            folded = fold(word).strip(" .:-'\"")
            if not folded or folded in _LANGUAGE_FILLERS:
                continue
            found = _language_word(folded)
            if found:
                codes |= found
            elif word not in unknown:
                unknown.append(word)
    return LanguageReading(codes=tuple(sorted(codes)), unknown=tuple(unknown))


def parse_languages(text: CellValue) -> list[str]:
    """ISO 639-1 codes, sorted and unique, from languages written in Swedish or English words or
    abbreviations ("Svenska och eng", "sv/en", "persiska/farsi", "Arabiska") -> ["en", "sv"].

    Dari has no ISO 639-1 code of its own and is read as Persian (``fa``). Raises
    :class:`UnknownLanguageError` if any word is not a language; it carries the recognised
    ``codes`` and the ``unknown`` words, so nothing is silently dropped.
    """
    reading = read_languages(text)
    if reading.unknown:
        raise UnknownLanguageError(reading.unknown, reading.codes)
    return list(reading.codes)


# --------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            "januari january",
            "februari february",
            "mars march",
            "april",
            "maj may",
            "juni june",
            "juli july",
            "augusti august",
            "september",
            "oktober october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in names.split(" ")
}
_MONTH_ABBREVIATIONS = {"sept": 9, "okt": 10, "oct": 10}


def _month(word: str) -> int | None:
    """Month number from a Swedish or English name or abbreviation ("nov", "Mars", "okt.")."""
    word = fold(word).rstrip(".")
    if word in _MONTHS:
        return _MONTHS[word]
    if word in _MONTH_ABBREVIATIONS:
        return _MONTH_ABBREVIATIONS[word]
    if len(word) >= 3:
        months = {number for name, number in _MONTHS.items() if name.startswith(word)}
        if len(months) == 1:
            return months.pop()
    return None


_ISO_DATE = re.compile(
    r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY_DATE = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4}|\d{2})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:\.|:e|:a)?\s*([^\W\d_]+)\.?,?\s*(\d{4}|\d{2})$")
_MONTH_DAY_YEAR = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$|^(\d{2})(\d{2})(\d{2})$")


@dataclass(frozen=True, slots=True)
class _DateParts:
    year: int
    month: int
    day: int
    two_digit_year: bool


def _date_parts(text: str) -> _DateParts | None:
    """Year, month and day as written, or ``None`` if the text is no date form we know."""
    text = re.sub(r"\s+", " ", fold(text)).strip()
    if m := _ISO_DATE.match(text):
        return _DateParts(int(m[1]), int(m[2]), int(m[3]), False)
    if m := _DMY_DATE.match(text):
        return _DateParts(int(m[3]), int(m[2]), int(m[1]), len(m[3]) == 2)
    if m := _DAY_MONTH_YEAR.match(text):
        month = _month(m[2])
        return _DateParts(int(m[3]), month, int(m[1]), len(m[3]) == 2) if month else None
    if m := _MONTH_DAY_YEAR.match(text):
        month = _month(m[1])
        return _DateParts(int(m[3]), month, int(m[2]), False) if month else None
    if m := _COMPACT_DATE.match(text):
        if m[1]:
            return _DateParts(int(m[1]), int(m[2]), int(m[3]), False)
        # "131112" is how many Swedes write 12 November 2013.
        return _DateParts(int(m[4]), int(m[5]), int(m[6]), True)
    return None


def _excel_date(serial: float) -> date:
    if not 1 <= serial <= _EXCEL_SERIAL_MAX:
        raise NormalizationError(f"not a date: {serial!r}", code="invalid_date", value=serial)
    converted = from_excel(serial)
    if not isinstance(converted, datetime):  # pragma: no cover - openpyxl returns datetimes
        raise NormalizationError(f"not a date: {serial!r}", code="invalid_date", value=serial)
    return converted.date()


def parse_date(value: CellValue) -> date | None:
    """A calendar date from an Excel cell or typed text, ``None`` when empty.

    Accepts Excel date cells and serial numbers, ``2013-11-12``, ``12/11-2013``, ``12/11/2013``,
    ``12.11.2013``, ``12-11-2013``, ``131112``, ``20131112``, ``12 nov 2013``,
    ``12 november 2013``, ``12:e mars 2014``, ``November 12, 2013`` (Swedish or English month
    names). Numeric dates are day first, as written in Sweden. A two-digit year is read as
    2000-2069 or 1970-1999. Raises :class:`NormalizationError` (code ``invalid_date``).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool | time):
        raise NormalizationError(f"not a date: {value!r}", code="invalid_date", value=value)
    if isinstance(value, int | float):
        return _excel_date(float(value))
    text = clean_text(value)
    if not text:
        return None
    parts = _date_parts(text)
    if parts is None:
        if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
            # An Excel date cell that was turned into text shows its serial number.
            return _excel_date(float(text))
        raise NormalizationError(f"not a date: {text!r}", code="invalid_date", value=value)
    year = parts.year
    if parts.two_digit_year:
        year += 2000 if year < 70 else 1900
    try:
        return date(year, parts.month, parts.day)
    except ValueError as exc:
        raise NormalizationError(
            f"not a date: {text!r} ({exc})", code="invalid_date", value=value
        ) from exc


# --------------------------------------------------------------------------- birth year

# Matched against folded text, so "år" is written "ar" here.
_AGE = re.compile(
    r"^(?:ca\.?|cirka|ungefar|omkring|about|approx\.?)?\s*(\d{1,3})\s*"
    r"(?:ar|years?|yrs?|y\.?o\.?|aring)(?:\s*(?:gammal|old))?$"
)
_PERSONAL_NUMBER = re.compile(r"^(\d{2}|\d{4})(\d{2})(\d{2})\s*([-+])?\s*\d{4}$")
_TWO_DIGIT_YEAR = re.compile(r"^['’-]?(\d{2})$")


def _check_birth_year(year: int, reference_date: date, max_age: int, value: object) -> int:
    age = reference_date.year - year
    if age < 0:
        raise NormalizationError(
            f"birth year {year} is after {reference_date.isoformat()}",
            code="invalid_birth_year",
            value=value,
        )
    if age > max_age:
        raise NormalizationError(
            f"birth year {year} gives an age over {max_age}", code="invalid_birth_year", value=value
        )
    return year


def _pivot_two_digit_year(
    yy: int, reference_date: date, min_age: int, max_age: int, value: object
) -> int:
    """The latest century that makes the person at least ``min_age`` on ``reference_date``."""
    for century in (2000, 1900, 1800):
        age = reference_date.year - (century + yy)
        if min_age <= age <= max_age:
            return century + yy
    raise NormalizationError(
        f"cannot tell the birth year from {value!r}", code="invalid_birth_year", value=value
    )


def parse_birth_year(
    value: CellValue,
    reference_date: date,
    *,
    is_age: bool = False,
    min_age: int = 18,
    max_age: int = 110,
) -> int | None:
    """A birth year from what was written in a "Född" / "Ålder" cell, ``None`` when empty.

    Understands a year (``1964``), a two-digit year (``64``: the latest century in which the
    person was at least ``min_age`` on ``reference_date``, since hosts are adults), a date or
    Excel date cell (``1964-04-19``), a Swedish personal identity number (only the year is
    kept), and an age (``45 år``; a bare number counts as an age when ``is_age``, i.e. in an
    "Ålder" column). Ages count from ``reference_date`` (the row's interview date), not from
    today. Raises :class:`NormalizationError` (code ``invalid_birth_year``).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        year = value.year
        return _check_birth_year(year, reference_date, max_age, value)
    if isinstance(value, bool | time):
        raise NormalizationError(
            f"not a birth year: {value!r}", code="invalid_birth_year", value=value
        )
    if isinstance(value, int | float):
        if not float(value).is_integer():
            raise NormalizationError(
                f"not a birth year: {value!r}", code="invalid_birth_year", value=value
            )
        return _birth_year_from_number(int(value), reference_date, is_age, min_age, max_age)
    text = clean_text(value)
    if not text:
        return None
    folded = fold(text)
    if m := _AGE.match(folded):
        return _check_birth_year(reference_date.year - int(m[1]), reference_date, max_age, value)
    if m := _TWO_DIGIT_YEAR.match(text):
        if is_age:
            return _birth_year_from_number(int(m[1]), reference_date, True, min_age, max_age)
        return _pivot_two_digit_year(int(m[1]), reference_date, min_age, max_age, value)
    if re.fullmatch(r"\d{1,4}", text):
        return _birth_year_from_number(int(text), reference_date, is_age, min_age, max_age)
    if m := _PERSONAL_NUMBER.match(text):
        if len(m[1]) == 4:
            return _check_birth_year(int(m[1]), reference_date, max_age, value)
        # In a ten-digit number "+" instead of "-" marks someone aged 100 or more.
        min_years = 100 if m[4] == "+" else 0
        return _pivot_two_digit_year(int(m[1]), reference_date, min_years, max_age, value)
    parts = _date_parts(text)
    if parts is None:
        raise NormalizationError(
            f"not a birth year: {text!r}", code="invalid_birth_year", value=value
        )
    try:
        date(2000, parts.month, parts.day)  # the day must exist (29 February is allowed)
    except ValueError as exc:
        raise NormalizationError(
            f"not a date: {text!r}", code="invalid_birth_year", value=value
        ) from exc
    if parts.two_digit_year:
        return _pivot_two_digit_year(parts.year, reference_date, min_age, max_age, value)
    return _check_birth_year(parts.year, reference_date, max_age, value)


def _birth_year_from_number(
    number: int, reference_date: date, is_age: bool, min_age: int, max_age: int
) -> int:
    if is_age and 0 <= number <= max_age:
        return _check_birth_year(reference_date.year - number, reference_date, max_age, number)
    if 0 <= number < 100:
        return _pivot_two_digit_year(number, reference_date, min_age, max_age, number)
    if 1800 <= number <= reference_date.year:
        return _check_birth_year(number, reference_date, max_age, number)
    if number > 3000:
        # A date cell whose format was lost shows Excel's serial day number.
        return _check_birth_year(_excel_date(number).year, reference_date, max_age, number)
    raise NormalizationError(
        f"not a birth year: {number!r}", code="invalid_birth_year", value=number
    )


# --------------------------------------------------------------------------- capacity

_NUMBER_WORDS: dict[str, int] = {
    word: number
    for number, words in enumerate(
        (
            "noll ingen inga none zero",
            "en ett ena one a an",
            "två tva two",
            "tre three",
            "fyra four",
            "fem five",
            "sex six",
            "sju seven",
            "åtta eight",
            "nio nine",
            "tio ten",
        )
    )
    for word in words.split(" ")
}
_MAX_CAPACITY = 50


def parse_capacity(value: CellValue) -> int | None:
    """How many newcomers a host can take, ``None`` when empty.

    Reads numbers and number words ("2 st", "en", "ett", "två", "tre", "3 familjer"); for a
    range ("1-2", "1 till 2", "2 eller 3") the lower number is taken, because promising fewer
    newcomers is the safe reading. Raises :class:`NormalizationError` (code
    ``invalid_capacity``).
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool | date | time):
        raise NormalizationError(
            f"not a number of newcomers: {value!r}", code="invalid_capacity", value=value
        )
    numbers: list[int] = []
    if isinstance(value, int | float):
        if not float(value).is_integer():
            raise NormalizationError(
                f"not a whole number: {value!r}", code="invalid_capacity", value=value
            )
        numbers.append(int(value))
    else:
        text = clean_text(value).casefold()
        if not text:
            return None
        if text.startswith("ett par") or text.startswith("a couple"):
            # "ett par" is "a couple of": two, not one pair.
            text = "2" + text.removeprefix("ett par").removeprefix("a couple")
        for token in re.findall(r"\d+|[^\W\d_]+", text):
            if token.isdigit():
                numbers.append(int(token))
            elif token in _NUMBER_WORDS:
                numbers.append(_NUMBER_WORDS[token])
    if not numbers:
        raise NormalizationError(
            f"not a number of newcomers: {clean_text(value)!r}",
            code="invalid_capacity",
            value=value,
        )
    capacity = min(numbers)
    if capacity < 0 or capacity > _MAX_CAPACITY:
        raise NormalizationError(
            f"not a plausible number of newcomers: {clean_text(value)!r}",
            code="invalid_capacity",
            value=value,
        )
    return capacity


# --------------------------------------------------------------------------- status


# Checked in this order: "inte aktiv" must be read as paused before "aktiv" is seen.
def _words(text: str) -> tuple[str, ...]:
    """``"a | b c | d"`` -> ``("a", "b c", "d")``: keeps word tables short and readable."""
    return tuple(word.strip() for word in text.split("|") if word.strip())


_STATUS_PHRASES: tuple[tuple[HostStatusValue, tuple[str, ...]], ...] = (
    (
        "declined",
        _words(
            "avböj | avbröt | avbrut | avbryt | avslut | avsagt | avsade | avregistr | slutat"
            " | slutar | ej aktuell | inte aktuell | vill inte | nej | declin | no | quit"
            " | stopped | ended | withdr | refused"
        ),
    ),
    (
        "paused",
        _words(
            "vilande | vilar | vila | paus | tillfälligt | inaktiv | ej aktiv | inte aktiv"
            " | ej tillgänglig | inte tillgänglig | upptagen | sjuk | väntar | on hold | inactive"
            " | dormant | later | senare"
        ),
    ),
    ("active", _words("aktiv | active | ja | yes | ok | tillgänglig | available | klar | redo")),
)
_STATUS_WORDS: dict[str, HostStatusValue] = {
    fold(phrase): status
    for status, phrases in _STATUS_PHRASES
    for phrase in phrases
    if len(phrase) >= 4 and " " not in phrase
}


def parse_status(value: CellValue, *, default: HostStatusValue = "active") -> HostStatusValue:
    """A host's status, ``active``, ``paused`` or ``declined``, from the word a coordinator wrote
    (Aktiv, Ja; Vilande, Pausad, Pausad till 1/9; Avböjt, Avbrutit, Nej ...). Empty gives
    ``default``. The first word that names a status decides ("Aktiv, men slutar kanske" is
    active); small typos ("Vilnade") are forgiven. Raises :class:`NormalizationError`
    (code ``unknown_status``) for anything else.
    """
    text = clean_text(value)
    if not text:
        return default
    words = re.findall(r"[^\W\d_]+", fold(text))
    joined = f" {' '.join(words)} "
    for status, phrases in _STATUS_PHRASES:
        if any(" " in phrase and f" {fold(phrase)} " in joined for phrase in phrases):
            return status
    for word in words:
        for status, phrases in _STATUS_PHRASES:
            for phrase in phrases:
                phrase = fold(phrase)
                if " " in phrase:
                    continue
                if word == phrase or (len(phrase) >= 4 and word.startswith(phrase)):
                    return status
    if words:
        found = process.extractOne(
            words[0], list(_STATUS_WORDS), scorer=fuzz.ratio, score_cutoff=80
        )
        if found is not None:
            return _STATUS_WORDS[found[0]]
    raise NormalizationError(f"unknown status {text!r}", code="unknown_status", value=value)


# --------------------------------------------------------------------------- household


def parse_household(value: CellValue) -> HouseholdValue | None:
    """Who the person lives with: ``single``, ``couple`` or ``family`` (with children), from
    words like "ensam", "singel", "sambo", "gift", "par", "familj", "2 vuxna 2 barn".
    ``None`` when empty; raises :class:`NormalizationError` (code ``unknown_household``)."""
    text = clean_text(value)
    if not text:
        return None
    words = set(re.findall(r"[^\W\d_]+", fold(text)))
    if words & {"barn", "familj", "familjen", "family", "children", "kids", "child", "barnen"}:
        return "family"
    if re.search(r"\d+\s*barn", fold(text)):
        return "family"
    if words & {
        "par",
        "sambo",
        "sambor",
        "gift",
        "gifta",
        "make",
        "maka",
        "partner",
        "couple",
        "married",
        "fru",
        "man",
        "pojkvan",
        "flickvan",
    } or re.search(r"\b2\s*vuxna\b", fold(text)):
        return "couple"
    if words & {"ensam", "ensamstaende", "singel", "single", "sjalv", "alone", "ensamboende"}:
        return "single"
    raise NormalizationError(f"unknown household {text!r}", code="unknown_household", value=value)


# --------------------------------------------------------------------------- areas


def normalize_area(value: CellValue, areas: Sequence[str]) -> str | None:
    """One of the municipality's ``areas`` (localities, from configuration) for what was
    typed: case and accents ignored ("grytnas" -> "Grytnäs"), a unique beginning accepted
    ("avesta c", "Avesta" -> "Avesta centrum"), small typos forgiven. ``None`` when empty;
    raises :class:`NormalizationError` (code ``unknown_area``) when no area fits."""
    text = clean_text(value)
    if not text:
        return None
    wanted = re.sub(r"[\W_]+", " ", fold(text)).strip()
    if not wanted:
        raise NormalizationError(f"unknown area {text!r}", code="unknown_area", value=value)
    by_key = {re.sub(r"[\W_]+", " ", fold(area)).strip(): area for area in areas}
    if wanted in by_key:
        return by_key[wanted]
    starts = [area for key, area in by_key.items() if key.startswith(wanted)]
    if len(starts) == 1:
        return starts[0]
    squeezed = wanted.replace(" ", "")
    squeezed_keys = {key.replace(" ", ""): area for key, area in by_key.items()}
    if squeezed in squeezed_keys:
        return squeezed_keys[squeezed]
    if len(squeezed) >= 4:
        found = process.extractOne(
            squeezed, list(squeezed_keys), scorer=fuzz.ratio, score_cutoff=85
        )
        if found is not None:
            return squeezed_keys[found[0]]
    raise NormalizationError(f"unknown area {text!r}", code="unknown_area", value=value)


# --------------------------------------------------------------------------- interests

_INTEREST_CHAR_SEPARATORS = re.compile(r"\s*[,;\n/&•·|]+\s*")
# " och " splits, but not in "svamp- och bärplockning" where the hyphen carries the word.
_INTEREST_WORD_SEPARATORS = re.compile(r"(?<![-–\s])\s+(?:och|and|samt)\s+", re.I)
_INTEREST_FILLERS = frozenset({"etc", "m.m.", "mm", "m.m", "osv", "m fl", "mfl", "med mera"})


def split_interests(text: CellValue) -> list[str]:
    """Interests as written, one per item: split at commas, semicolons, line breaks, "/", "&",
    " och ", " and "; list bullets, blanks and closing dots trimmed; repeats dropped; wording
    and case kept ("Kaffe och gaming" -> ["Kaffe", "gaming"]). Text in brackets stays whole."""
    cleaned = clean_text(text, multiline=True)
    if not cleaned:
        return []
    # Protect "(rock, pop)" so commas inside brackets do not split the interest.
    brackets: list[str] = []

    def _protect(match: re.Match[str]) -> str:
        brackets.append(match.group(0))
        return f"\x00{len(brackets) - 1}\x00"

    protected = re.sub(r"\([^()]*\)", _protect, cleaned)
    items: list[str] = []
    for chunk in _INTEREST_CHAR_SEPARATORS.split(protected):
        items.extend(_INTEREST_WORD_SEPARATORS.split(chunk))
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        item = re.sub(r"\x00(\d+)\x00", lambda m: brackets[int(m[1])], item)
        item = re.sub(r"^[\s\-–*•·>]+", "", item).strip().rstrip(".").strip()
        if not item or item.casefold() in _INTEREST_FILLERS:
            continue
        if item.casefold() not in seen:
            seen.add(item.casefold())
            result.append(item)
    return result


def unique(values: Iterable[str]) -> list[str]:
    """``values`` without repeats, first occurrence first."""
    return list(dict.fromkeys(values))
