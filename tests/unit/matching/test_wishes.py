"""Reading wishes and host preferences from free text."""

from __future__ import annotations

from datetime import date

import pytest

from matching import HostProfile, NewcomerProfile, default_normalizer, propose
from matching.wishes import Preferences, parse_preferences

AREAS = ["Krylbo", "Avesta centrum", "Fors"]


def parse(text: str) -> Preferences:
    return parse_preferences(text, default_normalizer(), AREAS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vi vill gärna träffa en barnfamilj", {"households": {"family"}}),
        ("Someone with kids would be great", {"households": {"family"}}),
        ("Gärna någon som talar arabiska", {"languages": {"ar"}}),
        ("Prefer a Somali speaker", {"languages": {"so"}}),
        ("Gärna en arabisktalande värd", {"languages": {"ar"}}),
        ("Helst någon i Avesta centrum", {"areas": {"Avesta centrum"}}),
        ("gärna nära fors", {"areas": {"Fors"}}),
        ("Gärna en pensionär", {"age": "older"}),
        ("Någon jämnårig", {"age": "same"}),
        ("Jag vill öva svenska och fiska", {"interests": {"learning_swedish", "fishing"}}),
        ("Someone who likes board games", {"interests": {"board_games"}}),
    ],
)
def test_parse(text: str, expected: dict[str, object]) -> None:
    found = parse(text)
    assert found
    for name, value in expected.items():
        got = getattr(found, name)
        assert (set(got) if isinstance(got, frozenset) else got) == value, name
    for name in {"households", "areas", "languages", "interests"} - set(expected):
        assert not getattr(found, name), name


def test_nothing_understood_is_no_preference() -> None:
    assert not parse("")
    assert not parse("Vill gärna hjälpa till.")
    # Contradicting age wishes cancel out instead of guessing.
    assert parse("Gärna äldre eller yngre").age is None


def test_a_language_wish_is_met_and_explained() -> None:
    hosts = [
        HostProfile(id="H1", languages=("sv", "ar"), interests=("golf",), area="Fors"),
        HostProfile(id="H2", languages=("sv", "en"), interests=("golf",), area="Fors"),
    ]
    seeker = NewcomerProfile(
        id="N1",
        languages=("sv", "ar", "en"),
        interests=("golf",),
        wishes="Gärna någon som talar arabiska.",
        moved_in=date(2026, 1, 1),
    )
    [proposal] = propose(hosts, [seeker], top_k=2)
    assert [c.host for c in proposal.candidates] == ["H1", "H2"]
    texts = [r.text("sv") for r in proposal.candidates[0].reasons]
    assert "Önskemål uppfyllt: arabiska" in texts
    assert "Wish met: Arabic" in [r.text("en") for r in proposal.candidates[0].reasons]


def test_host_preferences_count_less_than_the_newcomers_wishes() -> None:
    # H1 asks for families; H2 matches the newcomer's own wish for a host in Fors.
    hosts = [
        HostProfile(id="H1", languages=("sv",), area="Krylbo", thoughts="Gärna familjer med barn."),
        HostProfile(id="H2", languages=("sv",), area="Fors"),
    ]
    family = NewcomerProfile(
        id="N1", languages=("sv",), household="family", area="Krylbo", wishes="Gärna i Fors."
    )
    [proposal] = propose(hosts, [family], top_k=2)
    wishes = {c.host: c.components["wishes"] for c in proposal.candidates}
    assert wishes["H2"] > wishes["H1"] > 0
    h1 = next(c for c in proposal.candidates if c.host == "H1")
    assert "Värden önskade: familj med barn" in [r.text("sv") for r in h1.reasons]
