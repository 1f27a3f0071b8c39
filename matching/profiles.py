"""The plain records the matcher takes: hosts, newcomers and the coordinators' history.

They mirror one JSON line of ``tests/data/matching/*.jsonl``; ``from_dict`` accepts such a
line (and the web app's adapter builds them from database rows).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "DECISIONS",
    "HOUSEHOLDS",
    "HistoryEntry",
    "HostProfile",
    "NewcomerProfile",
    "ProfileError",
    "read_history",
    "read_hosts",
    "read_newcomers",
]

HOUSEHOLDS = ("single", "couple", "family")
HOST_STATUSES = ("active", "paused", "declined")
DECISIONS = ("rejected", "declined", "ended")

Decision = Literal["rejected", "declined", "ended"]

_HOUSEHOLD_WORDS = {
    "single": "single",
    "singel": "single",
    "ensam": "single",
    "ensamstående": "single",
    "alone": "single",
    "couple": "couple",
    "par": "couple",
    "sambo": "couple",
    "gift": "couple",
    "married": "couple",
    "family": "family",
    "familj": "family",
    "barnfamilj": "family",
    "family with children": "family",
    "familj med barn": "family",
}

# Language names people write instead of ISO 639-1 codes.
_LANGUAGE_WORDS = {
    "svenska": "sv",
    "swedish": "sv",
    "engelska": "en",
    "english": "en",
    "arabiska": "ar",
    "arabic": "ar",
    "persiska": "fa",
    "farsi": "fa",
    "persian": "fa",
    "dari": "fa",
    "somaliska": "so",
    "somali": "so",
    "tigrinja": "ti",
    "tigrinya": "ti",
    "finska": "fi",
    "finnish": "fi",
    "tyska": "de",
    "german": "de",
    "spanska": "es",
    "spanish": "es",
    "franska": "fr",
    "french": "fr",
    "polska": "pl",
    "polish": "pl",
    "ukrainska": "uk",
    "ukrainian": "uk",
    "ryska": "ru",
    "russian": "ru",
    "turkiska": "tr",
    "turkish": "tr",
    "kurdiska": "ku",
    "kurdish": "ku",
    "nederländska": "nl",
    "holländska": "nl",
    "dutch": "nl",
    "thailändska": "th",
    "thai": "th",
}


class ProfileError(ValueError):
    """A profile line that cannot be read (missing id, wrong type ...)."""


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


_GENDER_WORDS = {
    "woman": "woman",
    "kvinna": "woman",
    "female": "woman",
    "f": "woman",
    "k": "woman",
    "man": "man",
    "male": "man",
    "m": "man",
    "other": "other",
    "annat": "other",
    "ickebinär": "other",
    "non-binary": "other",
}


def _gender(value: Any) -> str:
    """A self-described gender: woman, man, other, or "" (not given, or "vill inte ange")."""
    return _GENDER_WORDS.get(_text(value).casefold(), "")


def _household(value: Any) -> str:
    text = _text(value).casefold()
    return _HOUSEHOLD_WORDS.get(text, text)


def _languages(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",")]
    codes = []
    for item in value:
        text = _text(item).casefold()
        if text:
            codes.append(_LANGUAGE_WORDS.get(text, text))
    return tuple(sorted(set(codes)))


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(_text(v) for v in value if _text(v))


def _year(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"birth_year is not a year: {value!r}") from exc


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ProfileError(f"not an ISO date: {value!r}") from exc


def _id(data: Mapping[str, Any]) -> str:
    value = data.get("id")
    if value is None or _text(value) == "":
        raise ProfileError("a profile needs an id")
    return _text(value)


@dataclass(frozen=True)
class _Profile:
    id: str
    birth_year: int | None = None
    area: str = ""
    household: str = ""
    languages: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    past: str = ""
    present: str = ""
    future: str = ""
    # Optional and self-described (woman, man, other); "" when not given.
    gender: str = ""

    def __post_init__(self) -> None:
        # The web app builds profiles directly from database rows: accept the same spellings
        # as a JSON line ("familj", "Svenska", a list instead of a tuple).
        object.__setattr__(self, "id", str(self.id))
        object.__setattr__(self, "gender", _gender(self.gender))
        object.__setattr__(self, "household", _household(self.household))
        object.__setattr__(self, "languages", _languages(self.languages))
        object.__setattr__(self, "interests", _strings(self.interests))

    @property
    def interview(self) -> str:
        """The interview answers as one text."""
        return "\n".join(t for t in (self.past, self.present, self.future) if t)


def _profile_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields hosts and newcomers share, read from one JSON line."""
    return {
        "id": _id(data),
        "birth_year": _year(data.get("birth_year")),
        "area": _text(data.get("area")),
        "household": _household(data.get("household")),
        "languages": _languages(data.get("languages")),
        "interests": _strings(data.get("interests")),
        "past": _text(data.get("past")),
        "present": _text(data.get("present")),
        "future": _text(data.get("future")),
        "gender": _gender(data.get("gender")),
    }


@dataclass(frozen=True)
class HostProfile(_Profile):
    """A volunteer host (AvestaVärd).

    ``capacity`` is how many newcomers the host can take in total and ``active_matches`` how
    many of them are already used; only ``status == "active"`` hosts get proposals.
    """

    thoughts: str = ""
    capacity: int = 1
    status: str = "active"
    active_matches: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "status", _text(self.status).casefold() or "active")

    @property
    def free_capacity(self) -> int:
        """Newcomers this host can still take."""
        return max(self.capacity - self.active_matches, 0)

    @property
    def interview(self) -> str:
        """The interview answers, thoughts included, as one text."""
        return "\n".join(t for t in (self.past, self.present, self.future, self.thoughts) if t)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HostProfile:
        """Build a host from one JSON line's fields."""
        try:
            capacity = int(data.get("capacity", 1) if data.get("capacity") is not None else 1)
            active = int(data.get("active_matches", 0) or 0)
        except (TypeError, ValueError) as exc:
            raise ProfileError(f"capacity is not a number: {data.get('capacity')!r}") from exc
        status = _text(data.get("status")).casefold() or "active"
        if status not in HOST_STATUSES:
            raise ProfileError(f"unknown host status {status!r} (expected {HOST_STATUSES})")
        return cls(
            **_profile_fields(data),
            thoughts=_text(data.get("thoughts")),
            capacity=capacity,
            status=status,
            active_matches=active,
        )


@dataclass(frozen=True)
class NewcomerProfile(_Profile):
    """A newcomer (nyinflyttad) who asked for a host.

    ``wishes`` is free text ("gärna en familj med barn som fiskar"). ``waiting_since`` (or, if
    missing, ``moved_in``) decides ties: whoever has waited longest goes first.
    """

    wishes: str = ""
    moved_in: date | None = None
    waiting_since: date | None = None

    @property
    def waiting_from(self) -> date | None:
        """When this newcomer started waiting for a host."""
        return self.waiting_since or self.moved_in

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NewcomerProfile:
        """Build a newcomer from one JSON line's fields."""
        return cls(
            **_profile_fields(data),
            wishes=_text(data.get("wishes")),
            moved_in=_date(data.get("moved_in")),
            waiting_since=_date(data.get("waiting_since")),
        )


@dataclass(frozen=True)
class HistoryEntry:
    """A pair a coordinator or a party already decided on; it is never proposed again."""

    newcomer: str
    host: str
    decision: Decision

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEntry:
        """Build an entry from ``{"newcomer": id, "host": id, "decision": ...}``."""
        decision = _text(data.get("decision")).casefold()
        if decision not in DECISIONS:
            raise ProfileError(f"unknown decision {decision!r} (expected one of {DECISIONS})")
        newcomer, host = _text(data.get("newcomer")), _text(data.get("host"))
        if not newcomer or not host:
            raise ProfileError("a history line needs a newcomer and a host")
        return cls(newcomer=newcomer, host=host, decision=decision)  # type: ignore[arg-type]


def _read_jsonl(path: str | Path, build: Any) -> Iterator[Any]:
    with Path(path).open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ProfileError("a line must be a JSON object")
                yield build(data)
            except (json.JSONDecodeError, ProfileError) as exc:
                raise ProfileError(f"{path}:{number}: {exc}") from exc


def read_hosts(path: str | Path) -> list[HostProfile]:
    """Read hosts from a JSON-lines file (one profile a line)."""
    return list(_read_jsonl(path, HostProfile.from_dict))


def read_newcomers(path: str | Path) -> list[NewcomerProfile]:
    """Read newcomers from a JSON-lines file (one profile a line)."""
    return list(_read_jsonl(path, NewcomerProfile.from_dict))


def read_history(path: str | Path) -> list[HistoryEntry]:
    """Read history lines ``{"newcomer", "host", "decision"}`` from a JSON-lines file."""
    return list(_read_jsonl(path, HistoryEntry.from_dict))


def unique_ids(profiles: Iterable[_Profile], kind: str) -> None:
    """Raise ProfileError if two profiles share an id."""
    seen: set[str] = set()
    for profile in profiles:
        if profile.id in seen:
            raise ProfileError(f"{kind} id {profile.id!r} appears twice")
        seen.add(profile.id)
