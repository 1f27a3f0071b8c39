"""Generated pools of hosts and newcomers for benchmarks and scale tests.

Profiles look like the real ones: interests written as people write them (synonyms,
English, capitals, typos), short interview answers in Swedish or English, a few wishes,
capacity 1-3, some paused or declined hosts. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from matching.profiles import HostProfile, NewcomerProfile
from matching.taxonomy import taxonomy

__all__ = ["Pool", "generate_pool"]

_AVESTA_AREAS = [
    "Avesta centrum",
    "Krylbo",
    "Bjurfors",
    "Horndal",
    "Grytnäs",
    "Dalsbo",
    "Fors",
    "Karlbo",
]
_TOWN_NAMES = """Avesta Borlänge Falun Hedemora Ludvika Mora Sala Västerås Uppsala Gävle Sandviken
Örebro Karlstad Eskilstuna Norrköping Linköping Jönköping Växjö Kalmar Karlskrona Kristianstad
Helsingborg Malmö Lund Halmstad Borås Trollhättan Uddevalla Skövde Lidköping Motala Nyköping
Södertälje Norrtälje Enköping Köping Arboga Fagersta Hallstahammar Sundsvall Härnösand
Östersund Umeå Skellefteå Luleå Piteå Kiruna Gällivare Örnsköldsvik Hudiksvall Bollnäs
Söderhamn Ljusdal Rättvik Leksand Smedjebacken Säter Vansbro Malung Orsa Älvdalen"""
_TOWNS = _TOWN_NAMES.split()
_DISTRICTS = ["centrum", "norra", "södra", "östra", "västra"]
_PLACES = ["Stockholm", "Göteborg", "Falun", "Norrland", "Västerås", "Skåne", "Uppsala"]
_JOBS_SV = ["snickare", "lärare", "sjuksköterska", "butikschef", "lokförare", "ingenjör", "kock"]
_JOBS_EN = ["teacher", "engineer", "nurse", "driver", "cook", "electrician", "student"]
_HOUSEHOLD_SV = {"single": "själv", "couple": "med min sambo", "family": "med familjen och barnen"}
_HOUSEHOLD_EN = {"single": "alone", "couple": "with my partner", "family": "with my family"}
_THOUGHTS = [
    "Vill gärna hjälpa nya Avestabor.",
    "Gärna familjer med barn.",
    "Vill gärna fika och visa runt.",
    "Gärna någon som vill öva svenska.",
    "Gärna någon i min ålder.",
    "",
]
_OTHER_LANGUAGES = ["ar", "so", "ti", "fa", "uk", "pl", "de", "es", "fi", "nl", "th", "tr", "ku"]


@dataclass(frozen=True)
class Pool:
    """A generated pool."""

    hosts: list[HostProfile]
    newcomers: list[NewcomerProfile]


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 2)
    kind = rng.randrange(3)
    if kind == 0:  # swapped letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # missing letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # doubled letter


def _areas(n_newcomers: int) -> list[str]:
    if n_newcomers <= 2_000:
        return _AVESTA_AREAS
    count = min(len(_TOWNS) * len(_DISTRICTS), max(8, n_newcomers // 150))
    names = [f"{town} {district}" for town in _TOWNS for district in _DISTRICTS]
    return names[:count]


def generate_pool(n_hosts: int, n_newcomers: int, seed: int = 7) -> Pool:
    """A pool of ``n_hosts`` hosts and ``n_newcomers`` newcomers (deterministic)."""
    rng = random.Random(seed)
    interests = [i for i in taxonomy() if not i.sensitive]
    # Popularity like real interests: a few very common, a long tail.
    order = list(range(len(interests)))
    rng.shuffle(order)
    popularity = [1.0 / (rank + 4) for rank in order]
    areas = _areas(n_newcomers)
    start = date(2025, 1, 1)

    def pick_interests() -> list[tuple[str, str, str]]:
        chosen = rng.choices(interests, weights=popularity, k=rng.randint(3, 7))
        out = []
        for interest in {i.id: i for i in chosen}.values():
            word = rng.choice([interest.label("sv"), interest.label("en"), *interest.terms])
            if rng.random() < 0.1:
                word = _typo(rng, word)
            if rng.random() < 0.3:
                word = word[:1].upper() + word[1:]
            out.append((word, interest.label("sv"), interest.label("en")))
        return out

    def person(kind: str, number: int) -> dict[str, object]:
        household = rng.choice(["single", "couple", "family"])
        area = rng.choice(areas)
        chosen = pick_interests()
        words = [w for w, _, _ in chosen]
        first, second = chosen[0], chosen[-1]
        if kind == "host":
            languages = {"sv"}
            if rng.random() < 0.65:
                languages.add("en")
            if rng.random() < 0.08:
                languages.add(rng.choice(_OTHER_LANGUAGES))
        else:
            languages = set()
            if rng.random() < 0.7:
                languages.add("sv")
            if rng.random() < 0.6:
                languages.add("en")
            if rng.random() < 0.4 or not languages:
                languages.add(rng.choice(_OTHER_LANGUAGES))
        swedish = "sv" in languages and (kind == "host" or rng.random() < 0.7)
        if swedish:
            place, job = rng.choice(_PLACES), rng.choice(_JOBS_SV)
            past = f"Jag kommer från {place} och har jobbat som {job}."
            present = f"Bor i {area} {_HOUSEHOLD_SV[household]}. Jag gillar {first[1]}."
            future = f"Hoppas hitta nya vänner här. Jag vill gärna hålla på med {second[1]}."
        else:
            past = f"I come from abroad and worked as a {rng.choice(_JOBS_EN)}."
            present = f"Now I live in {area} {_HOUSEHOLD_EN[household]}. I enjoy {first[2]}."
            future = f"I hope to make friends here. I would like to do more {second[2]}."
        return {
            "id": f"{kind[0].upper()}{number:06d}",
            "birth_year": rng.randint(1940, 2005),
            "area": area,
            "household": household,
            "languages": sorted(languages),
            "interests": words,
            "past": past,
            "present": present,
            "future": future,
        }

    hosts = []
    for number in range(n_hosts):
        data = person("host", number)
        capacity = rng.randint(1, 3)
        roll = rng.random()
        data["thoughts"] = rng.choice(_THOUGHTS)
        data["capacity"] = capacity
        data["status"] = "paused" if roll < 0.05 else "declined" if roll < 0.08 else "active"
        data["active_matches"] = rng.randint(0, capacity) if rng.random() < 0.2 else 0
        hosts.append(HostProfile.from_dict(data))
    newcomers = []
    for number in range(n_newcomers):
        data = person("newcomer", number)
        data["moved_in"] = (start + timedelta(days=rng.randrange(365))).isoformat()
        if rng.random() < 0.2:
            wish = rng.choice(interests)
            data["wishes"] = rng.choice(
                [
                    "Gärna en familj med barn.",
                    f"Någon som gillar {wish.label('sv')}.",
                    f"Gärna någon i {rng.choice(areas)}.",
                    f"Someone who likes {wish.label('en')}.",
                    "Gärna en äldre värd.",
                ]
            )
        newcomers.append(NewcomerProfile.from_dict(data))
    return Pool(hosts=hosts, newcomers=newcomers)
