"""Reasons written to the pair themselves: second person ("Ni gillar båda fiske", "You both
enjoy fishing"), each wish told from the reader's side, and nothing about other people."""

from __future__ import annotations

import pytest

from matching.reasons import Reason

FISHING = {"tag": "fiske", "sv": "fiske", "en": "fishing"}
HUNTING = {"tag": "jakt", "sv": "jakt", "en": "hunting"}

ALL_CODES = [
    Reason("shared_interests", {"items": [FISHING]}),
    Reason("related_interests", {"pairs": [[FISHING, HUNTING]]}),
    Reason("shared_tags", {"tags": ["svamp"]}),
    Reason("text_topics", {"items": [FISHING]}),
    Reason("similar_answers", {"similarity": 0.4}),
    Reason("shared_language", {"languages": ["ar"]}),
    Reason("same_area", {"area": "Krylbo"}),
    Reason("families", {}),
    Reason("same_household", {"household": "couple"}),
    Reason("close_in_age", {"years": 3}),
    Reason("wish_met", {"kind": "household", "household": "family"}),
    Reason("host_wish_met", {"kind": "area", "area": "Krylbo"}),
]


def test_shared_interest_in_each_language() -> None:
    reason = Reason("shared_interests", {"items": [FISHING]})
    assert reason.to_reader("host", "sv", "Amira") == "Ni gillar båda fiske"
    assert reason.to_reader("host", "en", "Amira") == "You both enjoy fishing"
    assert reason.text("sv") == "Båda gillar fiske"  # the coordinators' wording stays


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("reader", ["host", "newcomer"])
def test_every_reason_speaks_to_the_reader(reader: str, lang: str) -> None:
    for reason in ALL_CODES:
        text = reason.to_reader(reader, lang, "Amira")
        assert text, reason.code
        assert text[0].isupper()
        third_person = ("Båda ", "Both ", "Värden ", "The host ", "Önskemål", "Wish met")
        assert not text.startswith(third_person), text
        assert text != reason.text(lang), text


def test_wishes_are_told_from_the_readers_side() -> None:
    newcomer_wish = Reason("wish_met", {"kind": "household", "household": "family"})
    host_wish = Reason("host_wish_met", {"kind": "area", "area": "Krylbo"})
    assert newcomer_wish.to_reader("host", "sv", "Amira") == (
        "Du passar det Amira önskade: familj med barn"
    )
    assert newcomer_wish.to_reader("newcomer", "sv", "Karin") == "Du önskade: familj med barn"
    assert host_wish.to_reader("host", "en", "Amira") == "You asked for: Krylbo"
    assert host_wish.to_reader("newcomer", "en", "Karin") == "You fit what Karin asked for: Krylbo"
    # Without a name the other one is named by their part.
    assert newcomer_wish.to_reader("host", "sv") == (
        "Du passar det den nyinflyttade önskade: familj med barn"
    )


def test_related_interests_say_who_likes_what() -> None:
    reason = Reason("related_interests", {"pairs": [[FISHING, HUNTING]]})  # newcomer's, host's
    assert reason.to_reader("host", "sv", "Amira") == "Du gillar jakt och Amira gillar fiske"
    assert reason.to_reader("newcomer", "en", "Karin") == (
        "You enjoy fishing and Karin enjoys hunting"
    )


def test_age_gap_is_not_told_in_years() -> None:
    reason = Reason("close_in_age", {"years": 7})
    assert reason.to_reader("host", "sv") == "Ni är nära varandra i ålder"
    assert "7" not in (reason.to_reader("newcomer", "en") or "")


def test_a_reason_about_other_people_is_not_for_the_pair() -> None:
    reason = Reason(
        "best_host_elsewhere",
        {"host": "1", "newcomer": "2", "other_newcomer": "3", "because": "no_other_host"},
    )
    assert reason.to_reader("host", "sv", "Amira") is None
    with pytest.raises(ValueError):
        Reason("families", {}).to_reader("coordinator", "sv")
