"""Reading wishes and host preferences from free text."""

from __future__ import annotations

from datetime import date

import pytest

from matching import (
    HostProfile,
    NewcomerProfile,
    Proposal,
    default_normalizer,
    hard_rule_violations,
    propose,
)
from matching.wishes import Preferences, parse_preferences, read_wishes, wish_outcomes

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


# ------------------------------------------------------------ clauses, negation, gender


def clauses(text: str) -> list[tuple[str, list[tuple[str, str, bool, bool]]]]:
    return [
        (c.text, [(r.kind, r.value, r.negated, r.must) for r in c.readings])
        for c in read_wishes(text, default_normalizer(), AREAS)
    ]


def test_each_clause_is_kept_verbatim_with_its_reading() -> None:
    assert clauses("Gärna en kvinna i min ålder. Inte barn, och någon som fiskar! Bor nära ån") == [
        (
            "Gärna en kvinna i min ålder",
            [("age", "same", False, False), ("gender", "woman", False, False)],
        ),
        ("Inte barn", [("household", "family", True, False)]),
        ("någon som fiskar", [("interest", "fishing", False, False)]),
        ("Bor nära ån", []),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inte barn", {"households": {"single", "couple"}}),
        ("No kids please", {"households": {"single", "couple"}}),
        ("no dogs", {"avoid_interests": {"dogs"}}),
        ("Helst inga hundar", {"avoid_interests": {"dogs"}}),
        ("Gärna en kvinna", {"gender": "woman", "gender_must": False}),
        ("Måste vara en kvinna", {"gender": "woman", "gender_must": True}),
        ("Only a female host", {"gender": "woman", "gender_must": True}),
        ("Gärna samma kön som jag", {"gender": "same", "gender_must": False}),
        ("prefer a man", {"gender": "man"}),
    ],
)
def test_negations_and_gender(text: str, expected: dict[str, object]) -> None:
    found = parse(text)
    for name, value in expected.items():
        got = getattr(found, name)
        assert (set(got) if isinstance(got, frozenset) else got) == value, name
    if "avoid_interests" in expected:
        assert not found.interests


def test_outcomes_met_not_met_and_not_understood() -> None:
    wisher = NewcomerProfile(id="N", birth_year=1990, gender="kvinna")
    woman = HostProfile(id="W", birth_year=1988, gender="woman", household="couple")
    man = HostProfile(id="M", birth_year=1989, gender="man", household="couple")
    unknown = HostProfile(id="U", birth_year=1989, household="family")
    read = read_wishes(
        "Gärna en kvinna i min ålder. Inte barn. Något med ånga", default_normalizer(), AREAS
    )
    assert [s for _, s in wish_outcomes(read, wisher, woman)] == ["met", "met", "not_understood"]
    # Same age, but a man: the clause is not met (it was "jämnårig" only before).
    assert [s for _, s in wish_outcomes(read, wisher, man)] == ["not_met", "met", "not_understood"]
    # A gender not given never meets a gender wish; a family does not meet "inte barn".
    assert [s for _, s in wish_outcomes(read, wisher, unknown)] == [
        "not_met",
        "not_met",
        "not_understood",
    ]
    pets = read_wishes("no dogs", default_normalizer())
    assert [s for _, s in wish_outcomes(pets, wisher, man, {"dogs", "pets"})] == ["not_met"]
    assert [s for _, s in wish_outcomes(pets, wisher, man, {"cats", "pets"})] == ["met"]


def test_a_gender_must_is_a_hard_rule_and_a_wish_is_soft() -> None:
    hosts = [
        HostProfile(id="H1", languages=("sv",), interests=("fiske", "bandy"), gender="man"),
        HostProfile(id="H2", languages=("sv",), interests=("golf",), gender="woman"),
        HostProfile(id="H3", languages=("sv",), interests=("fiske", "bandy")),
    ]
    must = NewcomerProfile(
        id="N1", languages=("sv",), interests=("fiske", "bandy"), wishes="Måste vara en kvinna."
    )
    [proposal] = propose(hosts, [must], top_k=3)
    assert [c.host for c in proposal.candidates] == ["H2"]
    assert hard_rule_violations([proposal], hosts, [must]) == []
    wrong = Proposal(newcomer="N1", assigned="H1")
    assert any("requires" in p for p in hard_rule_violations([wrong], hosts, [must]))
    soft = NewcomerProfile(
        id="N2", languages=("sv",), interests=("golf",), wishes="Gärna en kvinna."
    )
    [proposal] = propose(hosts, [soft], top_k=3)
    assert {c.host for c in proposal.candidates} == {"H1", "H2", "H3"}
    best = proposal.candidates[0]
    assert best.host == "H2"
    assert "Önskemål uppfyllt: en kvinna" in [r.text("sv") for r in best.reasons]
    others = [c for c in proposal.candidates if c.host != "H2"]
    assert all(c.components["wishes"] == 0 for c in others)


def test_gender_is_optional_and_read_from_json() -> None:
    assert NewcomerProfile.from_dict({"id": "N", "gender": "Kvinna"}).gender == "woman"
    assert HostProfile.from_dict({"id": "H", "gender": "vill inte ange"}).gender == ""
    assert HostProfile.from_dict({"id": "H"}).gender == ""
