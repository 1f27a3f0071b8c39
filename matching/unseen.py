"""Pools worded in ways the taxonomy has never seen, for the unseen-wording evaluation.

The held-out words live in a frozen file (``tests/data/matching/unseen_words.json``): per
fold, per interest id, wordings that are taken out of the taxonomy while that fold is
evaluated (``matching.evaluation.evaluate_unseen`` removes them). This generator writes
profiles only from one fold's words, adding new typos, inflections, compounds and a mix of
Swedish and English, and plants for every newcomer one best host who shares most of the
newcomer's interests (worded independently, sometimes as a neighbouring interest rather than
the same one), a language, and usually life stage and area. Decoy hosts copy two of a
newcomer's interest words exactly but fit worse otherwise.

This module deliberately imports nothing from the normaliser or the taxonomy: it knows the
interests only as opaque ids and words from the frozen file, so the evaluation cannot share
the matcher's vocabulary by accident.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from matching.profiles import HostProfile, NewcomerProfile

__all__ = ["HeldOutWords", "UnseenPool", "generate_unseen", "load_held_out"]

AREAS = ["Avesta centrum", "Krylbo", "Bjurfors", "Horndal", "Grytnäs", "Dalsbo", "Fors", "Karlbo"]
OTHER_LANGUAGES = ["ar", "so", "ti", "fa", "uk", "pl", "de", "es", "fi", "nl", "th", "tr", "ku"]
# Compound parts Swedes add to a pastime ("kvällsfiske", "fiskegänget"); no interest words.
_PREFIXES = ["kvälls", "sommar", "vinter", "helg", "lördags", "familje", "morgon", "höst"]
_SUFFIXES = ["klubben", "gänget", "kvällar", "gruppen", "turer", "laget", "träffar", "rundor"]
_INFLECTIONS = ["en", "et", "er", "ar", "arna", "erna", "ande"]
_HOUSEHOLD_SV = {"single": "själv", "couple": "med min sambo", "family": "med familjen och barnen"}
_HOUSEHOLD_EN = {"single": "alone", "couple": "with my partner", "family": "with my family"}


@dataclass(frozen=True)
class HeldOutWords:
    """The frozen held-out wordings: ``folds[f][interest_id]`` and the neighbour groups."""

    folds: Sequence[Mapping[str, Sequence[str]]]
    neighbours: Sequence[Sequence[str]]

    def words(self, fold: int) -> dict[str, list[str]]:
        """Interest id -> the wordings of one fold (interests without any are left out)."""
        return {k: list(v) for k, v in self.folds[fold].items() if v}


def load_held_out(path: str | Path) -> HeldOutWords:
    """Read the frozen held-out words file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return HeldOutWords(folds=data["folds"], neighbours=data["neighbours"])


@dataclass
class UnseenPool:
    """A generated pool: profiles, the planted host per newcomer and the intended interests."""

    hosts: list[HostProfile]
    newcomers: list[NewcomerProfile]
    truth: dict[str, str]
    # Person id -> the interest ids the words stand for (to build an oracle pool).
    intended: dict[str, list[str]] = field(default_factory=dict)
    # Person id -> the written interest words, aligned with ``intended``.
    written: dict[str, list[str]] = field(default_factory=dict)


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _looks_english(word: str) -> bool:
    return word.endswith(("ing", "s", "y")) or any(
        part in word for part in ("w", "th", "sh", "ch", "ea", "oo", "ee")
    )


def _reword(rng: random.Random, word: str) -> str:
    """A held-out word as a person might write it: inflected, compounded, misspelt.

    Swedish endings and compound parts only go on words that do not look English.
    """
    roll = rng.random()
    single = " " not in word and "-" not in word and not _looks_english(word)
    if single and roll < 0.15 and not word.endswith(("a", "e", "en", "et", "ar", "er", "or")):
        word = word + rng.choice(_INFLECTIONS)
    elif single and roll < 0.25:
        word = rng.choice(_PREFIXES) + word
    elif single and roll < 0.32 and not word.endswith(("s",)):
        word = word + rng.choice(_SUFFIXES)
    if rng.random() < 0.12:
        word = _typo(rng, word)
    if rng.random() < 0.25:
        word = word[:1].upper() + word[1:]
    return word


def generate_unseen(
    held_out: HeldOutWords,
    fold: int,
    seed: int,
    n_newcomers: int = 150,
    n_hosts: int = 250,
    neighbour_share: float = 0.35,
) -> UnseenPool:
    """A pool worded only with ``fold``'s held-out words (deterministic for a seed)."""
    rng = random.Random(f"{fold}-{seed}")
    words = held_out.words(fold)
    ids = sorted(words)
    order = list(range(len(ids)))
    rng.shuffle(order)
    popularity = [1.0 / (rank + 6) for rank in order]
    groups: dict[str, list[str]] = {}
    for group in held_out.neighbours:
        for member in group:
            groups.setdefault(member, []).extend(
                m for m in group if m != member and m in words and m not in groups[member]
            )
    start = date(2026, 1, 1)

    def pick(k: int, avoid: set[str]) -> list[str]:
        out: list[str] = []
        while len(out) < k:
            choice = rng.choices(ids, weights=popularity)[0]
            if choice not in out and choice not in avoid:
                out.append(choice)
        return out

    def word_for(interest: str) -> str:
        return _reword(rng, rng.choice(words[interest]))

    def text(swedish: bool, area: str, household: str, said: list[str]) -> dict[str, str]:
        a, b = (said + said)[:2]
        if swedish:
            return {
                "past": "Jag har bott på flera orter och jobbat med olika saker.",
                "present": f"Bor i {area} {_HOUSEHOLD_SV[household]}. På fritiden blir det {a}.",
                "future": f"Hoppas lära känna folk här, gärna genom {b}.",
            }
        return {
            "past": "I have lived in several places and worked in different jobs.",
            "present": f"Now I live in {area} {_HOUSEHOLD_EN[household]}. In my free time: {a}.",
            "future": f"I hope to get to know people here, maybe through {b}.",
        }

    intended: dict[str, list[str]] = {}
    written: dict[str, list[str]] = {}
    host_rows: list[dict[str, object]] = []
    newcomer_rows: list[dict[str, object]] = []
    truth: dict[str, str] = {}

    def host_row(
        number: int,
        interests: list[str],
        languages: set[str],
        area: str,
        household: str,
        birth: int,
    ) -> dict[str, object]:
        hid = f"UH{number:04d}"
        said = [word_for(i) for i in interests]
        intended[hid], written[hid] = list(interests), said
        return {
            "id": hid,
            "birth_year": birth,
            "area": area,
            "household": household,
            "languages": sorted(languages),
            "interests": said,
            **text(True, area, household, said),
            "thoughts": rng.choice(["", "Vill gärna hjälpa nya Avestabor.", "Gärna fika."]),
            "capacity": rng.choice([1, 1, 2]),
        }

    for number in range(n_newcomers):
        nid = f"UN{number:04d}"
        own = pick(rng.randint(4, 6), set())
        household = rng.choice(["single", "couple", "family"])
        area = rng.choice(AREAS)
        birth = rng.randint(1945, 2004)
        languages: set[str] = set()
        if rng.random() < 0.7:
            languages.add("sv")
        if rng.random() < 0.6:
            languages.add("en")
        if rng.random() < 0.4 or not languages:
            languages.add(rng.choice(OTHER_LANGUAGES))
        swedish = "sv" in languages and rng.random() < 0.75
        said = [word_for(i) for i in own]
        intended[nid], written[nid] = list(own), said
        newcomer_rows.append(
            {
                "id": nid,
                "birth_year": birth,
                "area": area,
                "household": household,
                "languages": sorted(languages),
                "interests": said,
                **text(swedish, area, household, said),
                "moved_in": (start + timedelta(days=rng.randrange(300))).isoformat(),
            }
        )

        # The planted host: most interests shared, one maybe as a neighbour.
        shared = rng.sample(own, k=min(len(own), rng.randint(3, 4)))
        if rng.random() < neighbour_share:
            swappable = [i for i in shared if groups.get(i)]
            if swappable:
                old = rng.choice(swappable)
                shared[shared.index(old)] = rng.choice(groups[old])
        host_interests = shared + pick(rng.randint(0, 2), set(own) | set(shared))
        host_languages = {"sv"}
        spoken = sorted(languages)
        host_languages.add(rng.choice(spoken))
        if rng.random() < 0.5:
            host_languages.add("en")
        host_rows.append(
            host_row(
                len(host_rows),
                host_interests,
                host_languages,
                area if rng.random() < 0.6 else rng.choice(AREAS),
                household if rng.random() < 0.7 else rng.choice(["single", "couple", "family"]),
                birth + rng.randint(-8, 8) if rng.random() < 0.7 else rng.randint(1945, 2004),
            )
        )
        truth[nid] = str(host_rows[-1]["id"])

        # A decoy copies two of the newcomer's words exactly and fits worse otherwise.
        if rng.random() < 0.7:
            copied = rng.sample(range(len(own)), k=2)
            others = [h for h in ("single", "couple", "family") if h != household]
            other_household = rng.choice(others)
            decoy = host_row(
                len(host_rows),
                [own[k] for k in copied] + pick(rng.randint(1, 3), set(own)),
                host_languages | {"sv"},
                rng.choice([a for a in AREAS if a != area]),
                other_household,
                min(2004, max(1945, birth + rng.choice([-1, 1]) * rng.randint(20, 35))),
            )
            decoy_words = list(decoy["interests"])  # type: ignore[call-overload]
            for slot, k in enumerate(copied):
                decoy_words[slot] = said[k]
            decoy["interests"] = decoy_words
            written[str(decoy["id"])] = decoy_words
            host_rows.append(decoy)

    while len(host_rows) < n_hosts:
        languages = {"sv"}
        if rng.random() < 0.6:
            languages.add("en")
        if rng.random() < 0.15:
            languages.add(rng.choice(OTHER_LANGUAGES))
        host_rows.append(
            host_row(
                len(host_rows),
                pick(rng.randint(3, 6), set()),
                languages,
                rng.choice(AREAS),
                rng.choice(["single", "couple", "family"]),
                rng.randint(1945, 2004),
            )
        )
    rng.shuffle(host_rows)
    return UnseenPool(
        hosts=[HostProfile.from_dict(row) for row in host_rows],
        newcomers=[NewcomerProfile.from_dict(row) for row in newcomer_rows],
        truth=truth,
        intended=intended,
        written=written,
    )
