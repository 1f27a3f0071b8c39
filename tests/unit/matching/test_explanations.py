"""Explanations: reasons as data, the "why not the better one" reason, fit bands."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from matching import HostProfile, InterestNormalizer, NewcomerProfile, Reason, propose
from matching.reasons import fit_of


def host(host_id: str, **fields: Any) -> HostProfile:
    values: dict[str, Any] = {
        "birth_year": 1970,
        "area": "Krylbo",
        "household": "couple",
        "languages": ("sv",),
        "interests": ("fiske", "bandy"),
        "capacity": 1,
    }
    values.update(fields)
    return HostProfile(id=host_id, **values)


def newcomer(newcomer_id: str, **fields: Any) -> NewcomerProfile:
    values: dict[str, Any] = {
        "birth_year": 1972,
        "area": "Krylbo",
        "household": "couple",
        "languages": ("sv",),
        "interests": ("fiske", "bandy"),
        "moved_in": date(2026, 3, 1),
    }
    values.update(fields)
    return NewcomerProfile(id=newcomer_id, **values)


def test_best_host_given_to_someone_with_no_other_host_speaking_their_language() -> None:
    johan = host("JOHAN", languages=("sv", "ar"), interests=("fiske", "bandy", "schack"))
    other = host("OTHER", interests=("fiske", "schack"), area="Fors", household="family")
    sanna = newcomer("SANNA", interests=("fiske", "bandy", "schack"))
    amir = newcomer("AMIR", languages=("ar",), interests=("fiske",), area="Fors")
    by_id = {p.newcomer: p for p in propose([johan, other], [sanna, amir])}
    assert by_id["AMIR"].assigned == "JOHAN"
    sanna_proposal = by_id["SANNA"]
    assert sanna_proposal.candidates[0].host == "JOHAN"
    assert sanna_proposal.assigned == "OTHER"
    note = sanna_proposal.why_not_best
    assert note is not None and note.code == "best_host_elsewhere"
    assert note.params == {
        "host": "JOHAN",
        "newcomer": "SANNA",
        "other_newcomer": "AMIR",
        "because": "only_language",
        "language": "ar",
    }
    names = {"JOHAN": "Johan", "SANNA": "Sanna", "AMIR": "Amir"}
    assert note.text("sv", names) == (
        "Johan passar Sanna bäst men föreslås för Amir, "
        "som inte har någon annan värd som talar arabiska"
    )
    assert note.text("en", names) == (
        "Johan fits Sanna best but is proposed for Amir, who has no other host who speaks Arabic"
    )
    # It travels with the host actually proposed, first among its reasons.
    assigned = sanna_proposal.assigned_candidate
    assert assigned is not None and assigned.reasons[0] == note
    assert by_id["AMIR"].why_not_best is None
    assert sanna_proposal.to_dict()["why_not_best_code"]["code"] == "best_host_elsewhere"


def test_best_host_given_to_someone_who_would_lose_more() -> None:
    best = host("BEST", interests=("fiske", "bandy", "golf"))
    second = host("SECOND", interests=("fiske", "bandy", "stickning"), area="Fors")
    # ANNA prefers BEST only for the area; BERIT shares golf with BEST too.
    anna = newcomer("ANNA", interests=("fiske", "bandy"))
    berit = newcomer("BERIT", interests=("fiske", "bandy", "golf"))
    by_id = {p.newcomer: p for p in propose([best, second], [anna, berit])}
    assert by_id["BERIT"].assigned == "BEST"
    assert by_id["ANNA"].candidates[0].host == "BEST"
    assert by_id["ANNA"].assigned == "SECOND"
    note = by_id["ANNA"].why_not_best
    assert note is not None
    assert (note.params["other_newcomer"], note.params["because"]) == ("BERIT", "larger_loss")
    assert note.params["their_loss"] > note.params["our_loss"] > 0
    their = round(note.params["their_loss"] * 100)
    ours = round(note.params["our_loss"] * 100)
    assert note.text("sv") == (
        f"BEST passar ANNA bäst men föreslås för BERIT, som annars skulle förlora mer "
        f"({their} poäng mot {ours})"
    )


def test_no_note_when_everyone_gets_their_best() -> None:
    proposals = propose([host("H1"), host("H2", area="Fors")], [newcomer("N1")])
    assert proposals[0].why_not_best is None
    assert "why_not_best" not in proposals[0].to_dict()


def test_reasons_round_trip_as_data() -> None:
    [proposal] = propose([host("H1")], [newcomer("N1")])
    for reason in proposal.candidates[0].reasons:
        data = reason.to_dict()
        assert set(data) == {"code", "params"}
        again = Reason.from_dict(data)
        assert again.text("sv") == reason.text("sv")
        assert again.text("en") == reason.text("en")


@pytest.mark.parametrize(
    ("score", "percent", "band", "sv", "en"),
    [
        (0.72, 72, "very_good", "Mycket god", "Very good"),
        (0.55, 55, "very_good", "Mycket god", "Very good"),
        (0.41, 41, "good", "God", "Good"),
        (0.16, 16, "possible", "Möjlig", "Possible"),
        (-0.2, 0, "possible", "Möjlig", "Possible"),
        (1.3, 100, "very_good", "Mycket god", "Very good"),
    ],
)
def test_fit_bands(score: float, percent: int, band: str, sv: str, en: str) -> None:
    fit = fit_of(score)
    assert (fit.percent, fit.band, fit.label("sv"), fit.label("en")) == (percent, band, sv, en)


def test_an_interest_only_guessed_is_shown_with_the_words_it_came_from() -> None:
    # Without "orkester" in the taxonomy the word is only guessed to be music, by its
    # trigrams: the coordinator sees the words as written beside the interest, to judge.
    normalizer = InterestNormalizer(exclude_terms=("orkester",)).fit()
    [proposal] = propose(
        [host("H1", interests=("orkester", "golf"))],
        [newcomer("N1", interests=("Orkestern", "golf"))],
        normalizer=normalizer,
    )
    [shared] = [r for r in proposal.candidates[0].reasons if r.code == "shared_interests"]
    assert shared.text("sv") == (
        "Båda gillar golf och musik (”Orkestern” och ”orkester” tolkat som musik)"
    )
    assert (
        shared.text("en") == "Both like golf and music (”Orkestern” and ”orkester” read as music)"
    )
    # The guess travels with the reason's data, and a sure reading ("golf") has no note.
    assert Reason.from_dict(shared.to_dict()).text("sv") == shared.text("sv")
    assert [item["id"] for item, _ in shared.params["guessed"]] == ["music"]
    # The host and the newcomer read the interest only: not the other one's words.
    assert shared.to_reader("host", "sv") == "Ni gillar båda golf och musik"


def test_a_guess_is_not_quoted_when_what_was_written_tells_something_sensitive() -> None:
    # "Jularbodagarna" is guessed as accordion; the party name beside it is never quoted.
    [proposal] = propose(
        [host("H1", interests=("Moderaterna Jularbodagarna", "golf"))],
        [newcomer("N1", interests=("dragspel", "golf"))],
    )
    [shared] = [r for r in proposal.candidates[0].reasons if r.code == "shared_interests"]
    assert shared.text("sv") == "Båda gillar dragspel och golf"
    assert "guessed" not in shared.params


def test_sure_readings_carry_no_note() -> None:
    [proposal] = propose([host("H1")], [newcomer("N1")])
    [shared] = [r for r in proposal.candidates[0].reasons if r.code == "shared_interests"]
    assert "guessed" not in shared.params
    assert "(" not in shared.text("sv")
