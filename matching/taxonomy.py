"""The curated taxonomy of leisure interests (``matching/data/interests.toml``).

The file is data, not code: coordinators' wording changes over time, and adding a synonym
should not need a programmer. See the header of the TOML file for the fields.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["Category", "Interest", "Taxonomy", "load_taxonomy", "taxonomy"]

DEFAULT_PATH = "data/interests.toml"


@dataclass(frozen=True)
class Interest:
    """One canonical interest: an id, labels per language and the words that mean it."""

    id: str
    category: str
    labels: Mapping[str, str]
    terms: tuple[str, ...]
    parent: str | None = None
    sensitive: bool = False

    def label(self, lang: str = "sv") -> str:
        """The label as it reads inside a sentence, falling back to Swedish."""
        return self.labels.get(lang) or self.labels["sv"]

    def display(self, lang: str = "sv") -> str:
        """The label capitalised for a list of suggestions ("Fiske", "Fishing")."""
        text = self.label(lang)
        return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Category:
    """A group of interests for the registration page ("Friluftsliv och natur")."""

    id: str
    labels: Mapping[str, str]

    def label(self, lang: str = "sv") -> str:
        """The category's label, falling back to Swedish."""
        return self.labels.get(lang) or self.labels["sv"]


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """All canonical interests, their categories and the sensitive word roots.

    Compared and hashed by identity, so per-taxonomy tables can be cached.
    """

    interests: Mapping[str, Interest]
    categories: Mapping[str, Category]
    sensitive_roots: tuple[str, ...] = field(default=())
    sensitive_allow: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[Interest]:
        return iter(self.interests.values())

    def __len__(self) -> int:
        return len(self.interests)

    def __getitem__(self, interest_id: str) -> Interest:
        return self.interests[interest_id]

    def __contains__(self, interest_id: object) -> bool:
        return interest_id in self.interests

    def ancestors(self, interest_id: str) -> list[str]:
        """Broader interests, nearest first ("cross_country_skiing" -> skiing, winter_sports)."""
        chain: list[str] = []
        parent = self.interests[interest_id].parent
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self.interests[parent].parent
        return chain

    def suggestions(self, lang: str = "sv") -> list[tuple[Category, list[Interest]]]:
        """Non-sensitive interests grouped by category, sorted by label, for a form."""
        groups: list[tuple[Category, list[Interest]]] = []
        for category in self.categories.values():
            members = [i for i in self if i.category == category.id and not i.sensitive]
            if members:
                members.sort(key=lambda i: i.label(lang).casefold())
                groups.append((category, members))
        return groups


def _parse(data: Mapping[str, Any]) -> Taxonomy:
    categories = {
        key: Category(id=key, labels=dict(value))
        for key, value in dict(data.get("categories", {})).items()
    }
    interests: dict[str, Interest] = {}
    for entry in data.get("interest", []):
        interest_id = str(entry["id"])
        if interest_id in interests:
            raise ValueError(f"interest {interest_id!r} is defined twice")
        labels = {lang: str(entry[lang]) for lang in ("sv", "en", "ar") if lang in entry}
        if "sv" not in labels or "en" not in labels:
            raise ValueError(f"interest {interest_id!r} needs both an sv and an en label")
        category = str(entry["category"])
        if category not in categories:
            raise ValueError(f"interest {interest_id!r} has unknown category {category!r}")
        interests[interest_id] = Interest(
            id=interest_id,
            category=category,
            labels=labels,
            terms=tuple(str(t) for t in entry.get("terms", ())),
            parent=entry.get("parent"),
            sensitive=bool(entry.get("sensitive", False)),
        )
    for interest in interests.values():
        if interest.parent is not None and interest.parent not in interests:
            raise ValueError(f"interest {interest.id!r} has unknown parent {interest.parent!r}")
    sensitive = dict(data.get("sensitive", {}))
    roots = tuple(str(r) for r in sensitive.get("roots", ()))
    allow = tuple(str(a) for a in sensitive.get("allow", ()))
    for word in allow:
        if not any(root in word for root in roots):
            raise ValueError(f"sensitive allow entry {word!r} contains no sensitive root")
    return Taxonomy(
        interests=interests,
        categories=categories,
        sensitive_roots=roots,
        sensitive_allow=allow,
    )


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy file; without a path, the one shipped inside the package."""
    if path is None:
        text = resources.files("matching").joinpath(DEFAULT_PATH).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The package's taxonomy, read once per process.

    The registration page uses ``taxonomy().suggestions("sv")`` for its list of interests;
    every interest has Swedish and English labels and most have Arabic ones.
    """
    return load_taxonomy()
