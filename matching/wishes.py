"""Read what someone asks for in free text: a newcomer's wishes, a host's thoughts.

"Gärna en familj med barn i Krylbo som fiskar" asks for a family household, the area Krylbo
and the interest fishing. Only plain keyword rules in Swedish and English, read clause by
clause: a negated clause ("inte barn", "no dogs") asks for the opposite, a clause with "måste",
"bara" or "must" makes a gender wish a hard rule, and a clause the rules do not understand
adds nothing to the score but is shown as "not understood" (``read_wishes``) so that a
coordinator reads it. Wishes weigh little in the score (see ``matching.scoring.Weights``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from matching.normalizer import InterestNormalizer
from matching.reasons import LANGUAGE_NAMES
from matching.text import clean, deaccent, words

__all__ = [
    "GENDERS",
    "PreferenceParser",
    "Preferences",
    "WishClause",
    "WishReading",
    "parse_preferences",
    "read_wishes",
    "wish_outcomes",
]

GENDERS = ("woman", "man", "other")

_HOUSEHOLD = {
    "family": re.compile(
        r"\b(?:barnfamilj\w*|familj\w*|barn|barnen|barnet|family|families|children|kids)\b"
    ),
    "couple": re.compile(r"\b(?:sambo\w*|gifta?\s+par|äkta\s+par|couples?|married)\b"),
    "single": re.compile(r"\b(?:singel|singlar|ensamstående|single|singles)\b"),
}
_AGE = {
    "older": re.compile(r"\b(?:äldre|pensionär\w*|senior\w*|older|retired|elderly|pensioners?)\b"),
    "younger": re.compile(r"\b(?:yngre|ung|unga|young|younger)\b"),
    "same": re.compile(
        r"\b(?:jämnårig\w*|samma\s+ålder|same\s+age|similar\s+age|min\s+ålder|my\s+age)\b"
    ),
}
_LANGUAGE_WORDS = {
    name: code for code, names in LANGUAGE_NAMES.items() for name in (names[0], names[1].lower())
}
# "arabisk|talande": the Swedish adjective stem in compounds.
_LANGUAGE_WORDS.update(
    {name[:-1]: code for name, code in list(_LANGUAGE_WORDS.items()) if name.endswith("ska")}
)
_LANGUAGE_NAMES = "|".join(re.escape(w) for w in sorted(_LANGUAGE_WORDS, key=len, reverse=True))
# Only a language someone speaks is a language wish ("som talar arabiska", "speaks Somali",
# "gärna på persiska", "arabisktalande"); "öva svenska" is wanting to practise, an interest.
_LANGUAGE_PATTERN = re.compile(
    r"\b(?:talar|pratar|kan|speaks?|speaking|på|in)\s+(?:\w+\s+)?(" + _LANGUAGE_NAMES + r")\b"
    r"|\b(" + _LANGUAGE_NAMES + r")(?:talande|\s*-\s*speaking|\s+speaking|\s+speaker)"
)
_GENDER = {
    "woman": re.compile(r"\b(?:kvinn\w*|tjej\w*|dam|damer|woman|women|female|lady|ladies)\b"),
    "man": re.compile(r"\b(?:en\s+man|män|manlig\w*|kill\w*|herre|a\s+man|male)\b"),
    "same": re.compile(r"\b(?:samma\s+kön|same\s+(?:gender|sex))\b"),
}
# Words that carry a household, age, gender or language wish; they are not interests there.
_NOT_INTERESTS = re.compile(
    "|".join(
        p.pattern
        for p in (*_HOUSEHOLD.values(), *_AGE.values(), *_GENDER.values(), _LANGUAGE_PATTERN)
    )
)
# One wish per clause: "Gärna en kvinna, inte barn och någon som fiskar."
_CLAUSES = re.compile(r"[.;:!?\n]+|,|\s(?:och|and|samt|men|but|plus)\s", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(?:inte|ej|ingen|inga|inget|utan|slippa|aldrig|not|no|without|don'?t|never|avoid)\b"
)
_MUST = re.compile(r"\b(?:måste|bara|endast|enbart|krav|must|only|need|require[sd]?)\b")


@dataclass(frozen=True)
class WishReading:
    """What one clause of a wish was read as.

    ``kind`` is ``household``, ``age``, ``area``, ``language``, ``interest`` or ``gender``;
    ``negated`` when the clause asks to avoid it ("inte barn"); ``must`` when it is asked for
    as a requirement ("måste vara en kvinna").
    """

    kind: str
    value: str
    negated: bool = False
    must: bool = False


@dataclass(frozen=True)
class WishClause:
    """One clause of a wish, verbatim, and how it was read (nothing: not understood)."""

    text: str
    readings: tuple[WishReading, ...] = ()

    @property
    def understood(self) -> bool:
        """True when the rules read something in the clause."""
        return bool(self.readings)


@dataclass(frozen=True)
class Preferences:
    """What one person asks of the other: each part empty when not asked for.

    A negated household wish is stored as the other households; negated interests are kept in
    ``avoid_interests`` (shown, not scored). ``gender`` is a gender or ``same``; with
    ``gender_must`` it is a hard rule.
    """

    households: frozenset[str] = frozenset()
    age: str | None = None
    areas: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()
    gender: str | None = None
    gender_must: bool = False
    avoid_interests: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(
            self.households
            or self.age
            or self.areas
            or self.languages
            or self.interests
            or self.gender
        )


class PreferenceParser:
    """Parses wishes for one pool: the area names are compiled once, results cached per text."""

    def __init__(self, normalizer: InterestNormalizer, areas: Iterable[str] = ()) -> None:
        self.normalizer = normalizer
        # Each area under its cleaned and its å/ä/ö-less spelling.
        self._areas = {deaccent(clean(a)): a for a in areas if a and clean(a)}
        self._areas.update({clean(a): a for a in areas if a and clean(a)})
        names = sorted(self._areas, key=len, reverse=True)
        self._area_pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in names) + r")(?!\w)")
            if names
            else None
        )
        self._cache: dict[str, Preferences] = {}

    def __call__(self, text: str) -> Preferences:
        """The preferences in ``text`` (empty Preferences for empty text)."""
        if not text or not text.strip():
            return Preferences()
        known = self._cache.get(text)
        if known is None:
            known = self._preferences(self.clauses(text))
            self._cache[text] = known
        return known

    def clauses(self, text: str) -> list[WishClause]:
        """The wish split into clauses, each with what it was read as."""
        out = []
        for part in _CLAUSES.split(text or ""):
            verbatim = part.strip()
            if verbatim:
                out.append(WishClause(verbatim, tuple(self._read(verbatim))))
        return out

    def _read(self, clause: str) -> list[WishReading]:
        lowered = clause.casefold()
        negated = _NEGATION.search(lowered) is not None
        must = _MUST.search(lowered) is not None
        found: list[WishReading] = []
        for name, pattern in _HOUSEHOLD.items():
            if pattern.search(lowered):
                found.append(WishReading("household", name, negated))
        ages = [name for name, pattern in _AGE.items() if pattern.search(lowered)]
        if len(ages) == 1:  # two contradicting age wishes cancel out
            found.append(WishReading("age", ages[0], negated))
        genders = [name for name, pattern in _GENDER.items() if pattern.search(lowered)]
        if len(genders) == 1:
            found.append(WishReading("gender", genders[0], negated, must and not negated))
        for a, b in _LANGUAGE_PATTERN.findall(lowered):
            found.append(WishReading("language", _LANGUAGE_WORDS[a or b], negated))
        rest = _NOT_INTERESTS.sub(" ", lowered)
        if self._area_pattern is not None:
            folded = deaccent(clean(clause))
            for match in sorted(set(self._area_pattern.findall(folded))):
                found.append(WishReading("area", self._areas[match], negated))
            # A place is not an interest ("Fors", "Skogsbo").
            rest = self._area_pattern.sub(" ", clean(rest))
        seen: set[str] = set()
        for word in words(rest):
            interest = self.normalizer.lookup_word(word)
            if interest is not None and interest not in seen:
                seen.add(interest)
                found.append(WishReading("interest", interest, negated))
        return found

    @staticmethod
    def _preferences(clauses: Sequence[WishClause]) -> Preferences:
        households: set[str] = set()
        ages: set[str] = set()
        areas: set[str] = set()
        languages: set[str] = set()
        interests: set[str] = set()
        avoid: set[str] = set()
        genders: set[str] = set()
        must = False
        for clause in clauses:
            for r in clause.readings:
                if r.kind == "household":
                    households.update(
                        (h for h in ("single", "couple", "family") if h != r.value)
                        if r.negated
                        else (r.value,)
                    )
                elif r.negated:
                    if r.kind == "interest":
                        avoid.add(r.value)
                elif r.kind == "age":
                    ages.add(r.value)
                elif r.kind == "area":
                    areas.add(r.value)
                elif r.kind == "language":
                    languages.add(r.value)
                elif r.kind == "interest":
                    interests.add(r.value)
                elif r.kind == "gender":
                    genders.add(r.value)
                    must = must or r.must
        gender = next(iter(genders)) if len(genders) == 1 else None
        return Preferences(
            households=frozenset(households),
            age=next(iter(ages)) if len(ages) == 1 else None,
            areas=frozenset(areas),
            languages=frozenset(languages),
            interests=frozenset(interests - avoid),
            gender=gender,
            gender_must=must and gender is not None,
            avoid_interests=frozenset(avoid),
        )


def parse_preferences(
    text: str, normalizer: InterestNormalizer, areas: Iterable[str] = ()
) -> Preferences:
    """Parse free text into preferences; ``areas`` are the area names the pool knows."""
    return PreferenceParser(normalizer, areas)(text)


def read_wishes(
    text: str, normalizer: InterestNormalizer, areas: Iterable[str] = ()
) -> list[WishClause]:
    """The wish's clauses, verbatim, each with how it was read."""
    return PreferenceParser(normalizer, areas).clauses(text)


# How the age wishes are read: "older" and "younger" mean at least ten years apart, "the same
# age" at most eight years apart.
AGE_GAP_OLDER_YOUNGER = 10
AGE_GAP_SAME = 8


def age_wish_holds(wish: str, gap: Any) -> Any:
    """Whether an age wish ("older", "younger", "same") holds for a gap in birth years.

    ``gap`` is the wisher's birth year minus the other person's (> 0 when the other is older):
    a number, or a NumPy array for many pairs at once (then an array of booleans).
    """
    if wish == "older":
        return gap >= AGE_GAP_OLDER_YOUNGER
    if wish == "younger":
        return gap <= -AGE_GAP_OLDER_YOUNGER
    return abs(gap) <= AGE_GAP_SAME


def _age_holds(wish: str, wisher_born: int | None, other_born: int | None) -> bool | None:
    if wisher_born is None or other_born is None:
        return None
    return bool(age_wish_holds(wish, wisher_born - other_born))


def wish_outcomes(
    clauses: Sequence[WishClause],
    wisher: Any,
    other: Any,
    other_interests: Iterable[str] = (),
) -> list[tuple[WishClause, str]]:
    """Each clause with ``met``, ``not_met`` or ``not_understood`` for this pair.

    ``wisher`` and ``other`` are profiles (birth year, household, area, languages, gender);
    ``other_interests`` the other's canonical interests with their broader ones. A clause is
    met only when it was understood and every reading in it holds; a fact that is unknown
    (no birth year, no gender given) does not hold.
    """
    out: list[tuple[WishClause, str]] = []
    for clause in clauses:
        if not clause.understood:
            out.append((clause, "not_understood"))
            continue
        held = all(_holds(r, wisher, other, set(other_interests)) for r in clause.readings)
        out.append((clause, "met" if held else "not_met"))
    return out


def _holds(reading: WishReading, wisher: Any, other: Any, other_interests: set[str]) -> bool:
    value = reading.value
    fact: bool | None
    if reading.kind == "household":
        fact = None if not other.household else other.household == value
    elif reading.kind == "age":
        fact = _age_holds(value, wisher.birth_year, other.birth_year)
    elif reading.kind == "area":
        fact = None if not other.area else deaccent(clean(other.area)) == deaccent(clean(value))
    elif reading.kind == "language":
        fact = value in other.languages
    elif reading.kind == "interest":
        fact = value in other_interests
    elif reading.kind == "gender":
        theirs = getattr(other, "gender", "") or ""
        if value == "same":
            mine = getattr(wisher, "gender", "") or ""
            fact = None if not (mine and theirs) else mine == theirs
        else:
            fact = None if not theirs else theirs == value
    else:
        fact = None
    if fact is None:
        return False
    return (not fact) if reading.negated else fact
