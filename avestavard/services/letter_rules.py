"""Welcome letters: when each stage is due, the household's age group, and the letter texts.

Pure functions over dates and plain data; the letters service (database, outbox, batches) calls
them. The defaults live in ``config/letters.toml``: stages with their offsets in calendar months,
the age bands, and a subject and body per stage, age group and language.

Letter texts are edited by coordinators, so they are not templates that can run code: they may
only contain the placeholders in :data:`PLACEHOLDERS` (``{namn}``, ``{ort}``, ``{webbsida}``,
``{avregistrera}``), replaced by plain strings in one pass.

A Swedish text is written to one person ("du"); a letter to several people says "ni"
(:func:`address_several`). The English and Arabic texts are written so that they fit one
person and several ("you"; the Arabic plural).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast, get_args

from avestavard.config import CONFIG_DIR, config_layers
from avestavard.imports.inmovers_csv import age_on
from avestavard.services.calendar_months import add_months as add_months

AgeGroup = Literal["family", "young", "adult", "senior"]
AGE_GROUPS: tuple[AgeGroup, ...] = get_args(AgeGroup)

LETTERS_CONFIG_PATH = CONFIG_DIR / "letters.toml"

# Placeholder -> what it becomes, shown to coordinators next to the text editor.
PLACEHOLDERS: Mapping[str, str] = {
    "namn": "Mottagarnas namn, t.ex. ”Anna och Jan Berg”",
    "ort": "Orten där hushållet bor, t.ex. ”Krylbo”",
    "webbsida": "Länk till kommunens sida för nyinflyttade",
    "avregistrera": "Länk för att sluta få brev (i tryckta brev: webbsidan)",
}

# Swedish second person, one person -> several people.
_SV_SEVERAL = {"du": "ni", "dig": "er", "din": "er", "ditt": "ert", "dina": "era"}
_SV_SECOND_PERSON = re.compile(r"\b(?:du|dig|din|ditt|dina)\b", re.IGNORECASE)
_CONJUNCTIONS = {"sv": " och ", "en": " and ", "ar": " و "}
_LIST_SEPARATORS = {"ar": "، "}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")


class TemplateError(ValueError):
    """A letter text uses unknown placeholders, stray braces, or a placeholder without a value."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


class LetterConfigError(ValueError):
    """``letters.toml`` (or an override) is incomplete or inconsistent; lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Stage:
    """One letter of the series: number 1, 2, 3 ... due ``offset_months`` after moving in."""

    number: int
    offset_months: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class LetterSchedule:
    """The stages in order and how long the last one may still be sent after its due date."""

    stages: tuple[Stage, ...]
    last_stage_window_months: int

    def stage(self, number: int) -> Stage:
        """The stage with this number (``KeyError`` if there is none)."""
        for stage in self.stages:
            if stage.number == number:
                return stage
        raise KeyError(number)

    def due_date(self, moved_in: date, number: int) -> date:
        """The day stage ``number`` becomes due for a household that moved in on ``moved_in``."""
        return add_months(moved_in, self.stage(number).offset_months)

    def window(self, moved_in: date, number: int) -> tuple[date, date]:
        """``(first day, first day too late)`` during which stage ``number`` may be sent."""
        start = self.due_date(moved_in, number)
        later = [s for s in self.stages if s.number > number]
        if later:
            return start, add_months(moved_in, later[0].offset_months)
        return start, add_months(start, self.last_stage_window_months)


@dataclass(frozen=True, slots=True)
class AgeBands:
    """Lower age limits: adults (and ``young``) from 18, ``adult`` from 30, ``senior`` from 65."""

    young_from: int = 18
    adult_from: int = 30
    senior_from: int = 65


@dataclass(frozen=True, slots=True)
class LetterText:
    """Subject and body of one letter; both may contain placeholders."""

    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class LanguageStrings:
    """Fixed wording around the editable text, per language."""

    closing: str
    unsubscribe: str
    other_languages_heading: str = ""


@dataclass(frozen=True)
class LetterConfig:
    """Everything the letters need from ``letters.toml``."""

    schedule: LetterSchedule
    age_bands: AgeBands
    languages: tuple[str, ...]
    rtl_languages: frozenset[str]
    fallback_language: str
    web_link: str
    sender_lines: tuple[str, ...]
    texts: Mapping[tuple[int, AgeGroup, str], LetterText]
    strings: Mapping[str, LanguageStrings]
    # Short lines in other languages added to Swedish letters for households without a language.
    other_language_lines: Mapping[str, str] = field(default_factory=dict)

    def text(self, stage: int, age_group: AgeGroup, language: str) -> LetterText:
        """The text for one stage, age group and language (``KeyError`` if it is missing)."""
        return self.texts[(stage, age_group, language)]

    def is_rtl(self, language: str) -> bool:
        """Whether ``language`` is written right to left (Arabic)."""
        return language in self.rtl_languages

    def with_text(
        self, stage: int, age_group: AgeGroup, language: str, text: LetterText
    ) -> LetterConfig:
        """A copy with one text replaced, e.g. a coordinator's edit; invalid texts raise."""
        problems = [
            f"{part}: {problem}"
            for part, value in (("Ämne", text.subject), ("Text", text.body))
            for problem in validate_template(value)
        ]
        if (stage, age_group, language) not in self.texts:
            problems.append(f"Ingen text för etapp {stage}, {age_group}, {language}")
        if problems:
            raise LetterConfigError(problems)
        texts = dict(self.texts)
        texts[(stage, age_group, language)] = text
        return replace(self, texts=texts)


def due_stage(
    moved_in: date,
    today: date,
    schedule: LetterSchedule,
    already_sent: AbstractSet[int],
) -> Stage | None:
    """The one stage to send today, or ``None``.

    Stage k is due on ``moved_in`` + its offset and may be sent while ``today`` is before the next
    stage's due date (the last stage: before its due date + the window). Only the stage whose
    window contains ``today`` can be returned: a household first seen late never gets a stale
    letter, and never two in one run. Nothing is sent if that stage or a later one was sent.
    """
    for stage in schedule.stages:
        start, end = schedule.window(moved_in, stage.number)
        if start <= today < end:
            if any(number >= stage.number for number in already_sent):
                return None
            return stage
    return None


def age_group(today: date, birth_dates: Iterable[date], bands: AgeBands = AgeBands()) -> AgeGroup:
    """Age group of a household on ``today`` from its members' birth dates.

    ``family`` if anyone is under 18 (a child); otherwise by the oldest member: ``young``
    18–29, ``adult`` 30–64, ``senior`` 65+. Ages are taken on ``today``, so a child who has
    turned 18 since the import no longer makes the household a family.
    """
    ages = [age_on(born, today) for born in birth_dates]
    if not ages:
        raise ValueError("a household needs at least one member")
    if min(ages) < bands.young_from:
        return "family"
    oldest = max(ages)
    if oldest >= bands.senior_from:
        return "senior"
    if oldest >= bands.adult_from:
        return "adult"
    return "young"


def join_names(people: Sequence[tuple[str, str]], language: str = "sv") -> str:
    """Recipients' names as one phrase: ``Anna och Jan Berg`` or ``Anna Berg och Omar Ali``.

    ``people`` are (first name, last name) pairs; a shared last name is written once.
    """
    if not people:
        return ""
    conjunction = _CONJUNCTIONS.get(language, " & ")
    separator = _LIST_SEPARATORS.get(language, ", ")
    last_names = {last for _, last in people}
    if len(last_names) == 1 and len(people) > 1:
        parts = [first for first, _ in people]
        suffix = f" {people[0][1]}"
    else:
        parts = [f"{first} {last}" for first, last in people]
        suffix = ""
    if len(parts) == 1:
        return parts[0] + suffix
    return separator.join(parts[:-1]) + conjunction + parts[-1] + suffix


def address_several(text: str, language: str) -> str:
    """A text written to one person, rewritten to several: in Swedish "du" becomes "ni", "dig"
    "er", "din" "er", "ditt" "ert" and "dina" "era" ("Du" "Ni"). Other languages are unchanged.

    Apply it to the text before the placeholders are filled in, so a name is never rewritten.
    """
    if language != "sv":
        return text

    def plural(match: re.Match[str]) -> str:
        word = match.group(0)
        several = _SV_SEVERAL[word.casefold()]
        if word.isupper() and len(word) > 1:
            return several.upper()
        return several.capitalize() if word[0].isupper() else several

    return _SV_SECOND_PERSON.sub(plural, text)


def validate_template(text: str) -> list[str]:
    """Problems in a letter text, in Swedish for the coordinator; an empty list means it is fine.

    Allowed: the placeholders in :data:`PLACEHOLDERS` in single braces, and ``{{``/``}}`` for a
    literal brace.
    """
    problems = []
    allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        line = text.count("\n", 0, match.start()) + 1
        if token in ("{{", "}}"):
            continue
        if match.group(1) is None:
            problems.append(
                f"Rad {line}: ensam ”{token}”. Skriv {token}{token} för att få ett tecken "
                f"{token}, eller använd en platshållare: {allowed}."
            )
        elif _placeholder_name(match.group(1)) not in PLACEHOLDERS:
            problems.append(
                f"Rad {line}: okänd platshållare {token}. Tillåtna platshållare: {allowed}."
            )
    return problems


def render_text(template: str, values: Mapping[str, str]) -> str:
    """Replace the placeholders in ``template`` with ``values`` (keys: placeholder names).

    One pass, plain strings: a value containing ``{ort}`` stays as written, and nothing in a text
    can reach Python objects (unlike ``str.format``). Raises :class:`TemplateError` for an invalid
    text or a placeholder without a value.
    """
    problems = validate_template(template)
    used = {_placeholder_name(m.group(1)) for m in _TOKEN.finditer(template) if m.group(1)}
    problems += [f"Värde saknas för {{{name}}}." for name in sorted(used) if name not in values]
    if problems:
        raise TemplateError(problems)

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return values[_placeholder_name(match.group(1))]

    return _TOKEN.sub(substitute, template)


def _placeholder_name(raw: str) -> str:
    return raw.strip().casefold()


def load_letter_config(path: Path | None = None) -> LetterConfig:
    """Read and check ``letters.toml`` (the site's own copy if it has one, or ``path``).

    Raises :class:`LetterConfigError`.
    """
    with (path or config_layers("letters.toml")[-1]).open("rb") as fh:
        return parse_letter_config(tomllib.load(fh))


def parse_letter_config(data: Mapping[str, Any]) -> LetterConfig:
    """Build a :class:`LetterConfig` from parsed TOML, listing every problem at once."""
    problems: list[str] = []
    try:
        schedule_data = data["schedule"]
        stages = tuple(
            Stage(int(s["number"]), int(s["offset_months"]), str(s.get("label", "")))
            for s in schedule_data["stages"]
        )
        schedule = LetterSchedule(stages, int(schedule_data["last_stage_window_months"]))
        bands = AgeBands(**{k: int(v) for k, v in data.get("age_groups", {}).items()})
        settings = data["letters"]
        languages = tuple(str(lang) for lang in settings["languages"])
        fallback = str(settings["fallback_language"])
        strings = {
            lang: LanguageStrings(**{k: str(v) for k, v in values.items()})
            for lang, values in data["strings"].items()
        }
        raw_texts = data["texts"]
    except (KeyError, TypeError, ValueError) as error:
        raise LetterConfigError([f"letters.toml: saknad eller felaktig nyckel: {error}"]) from None

    numbers = [stage.number for stage in stages]
    if numbers != list(range(1, len(stages) + 1)):
        problems.append(f"Etapperna ska numreras 1, 2, 3 ... i ordning, inte {numbers}")
    offsets = [stage.offset_months for stage in stages]
    if offsets != sorted(set(offsets)) or (offsets and offsets[0] < 0):
        problems.append(f"Etappernas månader ska öka strikt och vara ≥ 0, inte {offsets}")
    if schedule.last_stage_window_months < 1:
        problems.append("last_stage_window_months ska vara minst 1")
    if not bands.young_from < bands.adult_from < bands.senior_from:
        problems.append("Åldersgränserna ska öka: young_from < adult_from < senior_from")
    if fallback not in languages:
        problems.append(f"fallback_language {fallback!r} finns inte bland languages")

    texts: dict[tuple[int, AgeGroup, str], LetterText] = {}
    for stage in stages:
        for group in AGE_GROUPS:
            for lang in languages:
                where = f"Etapp {stage.number}, {group}, {lang}"
                try:
                    entry = raw_texts[str(stage.number)][group][lang]
                    text = LetterText(str(entry["subject"]).strip(), str(entry["body"]).strip())
                except (KeyError, TypeError):
                    problems.append(f"{where}: ämne eller text saknas")
                    continue
                if not text.subject or not text.body:
                    problems.append(f"{where}: ämne eller text är tom")
                problems += [f"{where}: {p}" for p in validate_template(text.subject)]
                problems += [f"{where}: {p}" for p in validate_template(text.body)]
                texts[(stage.number, group, lang)] = text
    problems += [
        f"Språket {lang} saknar [strings.{lang}]" for lang in languages if lang not in strings
    ]

    other_lines = {str(k): str(v).strip() for k, v in data.get("other_language_lines", {}).items()}
    for lang, line in other_lines.items():
        problems += [f"other_language_lines.{lang}: {p}" for p in validate_template(line)]
    if problems:
        raise LetterConfigError(problems)

    return LetterConfig(
        schedule=schedule,
        age_bands=bands,
        languages=languages,
        rtl_languages=frozenset(str(lang) for lang in settings.get("rtl_languages", [])),
        fallback_language=fallback,
        web_link=str(settings["web_link"]),
        sender_lines=tuple(str(line) for line in settings["sender_lines"]),
        texts=texts,
        strings=strings,
        other_language_lines=other_lines,
    )


def age_group_of(value: str) -> AgeGroup:
    """Check that ``value`` is an age group name (from a form or the database)."""
    if value not in AGE_GROUPS:
        raise ValueError(f"unknown age group {value!r}")
    return cast(AgeGroup, value)
