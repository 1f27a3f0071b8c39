"""Read what someone asks for in free text: a newcomer's wishes, a host's thoughts.

"Gärna en familj med barn i Krylbo som fiskar" asks for a family household, the area Krylbo
and the interest fishing. Only plain keyword rules in Swedish and English: a wish the rules
do not understand simply adds nothing. Negations ("inte barn") are not understood, which is
why wishes weigh little (see ``matching.scoring.Weights``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from matching.normalizer import InterestNormalizer
from matching.reasons import LANGUAGE_NAMES
from matching.text import clean, deaccent, words

__all__ = ["PreferenceParser", "Preferences", "parse_preferences"]

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
# Words that carry a household, age or language wish; they are not interests there.
_NOT_INTERESTS = re.compile(
    "|".join(p.pattern for p in (*_HOUSEHOLD.values(), *_AGE.values(), _LANGUAGE_PATTERN))
)


@dataclass(frozen=True)
class Preferences:
    """What one person asks of the other: each part empty when not asked for."""

    households: frozenset[str] = frozenset()
    age: str | None = None
    areas: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    interests: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.households or self.age or self.areas or self.languages or self.interests)


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
            known = self._parse(text)
            self._cache[text] = known
        return known

    def _parse(self, text: str) -> Preferences:
        lowered = text.casefold()
        households = frozenset(k for k, p in _HOUSEHOLD.items() if p.search(lowered))
        ages = [k for k, p in _AGE.items() if p.search(lowered)]
        languages = frozenset(
            _LANGUAGE_WORDS[a or b] for a, b in _LANGUAGE_PATTERN.findall(lowered)
        )
        wanted_areas: frozenset[str] = frozenset()
        rest = _NOT_INTERESTS.sub(" ", lowered)
        if self._area_pattern is not None:
            folded = deaccent(clean(text))
            wanted_areas = frozenset(self._areas[m] for m in self._area_pattern.findall(folded))
            # A place is not an interest ("Fors", "Skogsbo").
            rest = self._area_pattern.sub(" ", clean(rest))
        interests = set()
        for word in words(rest):
            found = self.normalizer.lookup_word(word)
            if found is not None:
                interests.add(found)
        return Preferences(
            households=households,
            # Two contradicting age wishes cancel out.
            age=ages[0] if len(ages) == 1 else None,
            areas=wanted_areas,
            languages=languages,
            interests=frozenset(interests),
        )


def parse_preferences(
    text: str, normalizer: InterestNormalizer, areas: Iterable[str] = ()
) -> Preferences:
    """Parse free text into preferences; ``areas`` are the area names the pool knows."""
    return PreferenceParser(normalizer, areas)(text)
