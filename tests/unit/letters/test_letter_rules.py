"""Due rules and age groups, with dates checked by hand."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from avestavard.imports.inmovers_csv import parse_inmovers
from avestavard.services.letter_rules import (
    AgeBands,
    LetterSchedule,
    Stage,
    add_months,
    age_group,
    due_stage,
    load_letter_config,
)
from tests.paths import TEST_DATA

SCHEDULE = load_letter_config().schedule


def _number(stage: Stage | None) -> int | None:
    return None if stage is None else stage.number


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),  # leap year keeps the 29th
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 10, 15), 3, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 17), 0, date(2026, 5, 17)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


def test_stages_come_from_config() -> None:
    assert [(s.number, s.offset_months) for s in SCHEDULE.stages] == [(1, 0), (2, 3), (3, 12)]
    assert SCHEDULE.last_stage_window_months == 3


def test_windows_for_a_household_moving_in_on_30_november() -> None:
    moved_in = date(2025, 11, 30)
    assert SCHEDULE.window(moved_in, 1) == (date(2025, 11, 30), date(2026, 2, 28))
    assert SCHEDULE.window(moved_in, 2) == (date(2026, 2, 28), date(2026, 11, 30))
    # Last stage: its due date + 3 months.
    assert SCHEDULE.window(moved_in, 3) == (date(2026, 11, 30), date(2027, 2, 28))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 11, 29), None),  # not moved in yet
        (date(2025, 11, 30), 1),  # moving day
        (date(2026, 2, 27), 1),  # last day of stage 1
        (date(2026, 2, 28), 2),  # stage 2 due: moved_in + 3 months, clamped to 28 Feb
        (date(2026, 11, 29), 2),
        (date(2026, 11, 30), 3),
        (date(2027, 2, 27), 3),
        (date(2027, 2, 28), None),  # stage 3 window over
        (date(2030, 1, 1), None),
    ],
)
def test_due_stage_on_boundary_days(today: date, expected: int | None) -> None:
    assert _number(due_stage(date(2025, 11, 30), today, SCHEDULE, set())) == expected


def test_leap_day_move_in() -> None:
    moved_in = date(2024, 2, 29)
    assert _number(due_stage(moved_in, date(2024, 5, 28), SCHEDULE, {1})) is None
    assert _number(due_stage(moved_in, date(2024, 5, 29), SCHEDULE, {1})) == 2
    assert _number(due_stage(moved_in, date(2025, 2, 27), SCHEDULE, {1, 2})) is None
    assert _number(due_stage(moved_in, date(2025, 2, 28), SCHEDULE, {1, 2})) == 3
    # The last window runs 3 months from the (clamped) due date 2025-02-28.
    assert _number(due_stage(moved_in, date(2025, 5, 27), SCHEDULE, {1, 2})) == 3
    assert _number(due_stage(moved_in, date(2025, 5, 28), SCHEDULE, {1, 2})) is None


def test_a_sent_stage_is_not_sent_again() -> None:
    moved_in = date(2026, 3, 10)
    assert due_stage(moved_in, date(2026, 3, 12), SCHEDULE, {1}) is None
    assert _number(due_stage(moved_in, date(2026, 6, 10), SCHEDULE, {1})) == 2
    assert due_stage(moved_in, date(2026, 6, 11), SCHEDULE, {1, 2}) is None


def test_late_household_gets_only_the_current_stage() -> None:
    """First seen five months after moving in: stage 2 only, never the stale welcome."""
    moved_in = date(2026, 1, 15)
    assert _number(due_stage(moved_in, date(2026, 6, 15), SCHEDULE, set())) == 2
    # Seen 14 months in: stage 3 only; stages 1 and 2 are never sent.
    assert _number(due_stage(moved_in, date(2027, 3, 15), SCHEDULE, set())) == 3


def test_never_an_earlier_stage_after_a_later_one() -> None:
    # The clock went back (or data was fixed by hand): nothing rather than a stale letter.
    assert due_stage(date(2026, 1, 15), date(2026, 2, 1), SCHEDULE, {2}) is None


def test_daily_runs_send_each_stage_once_on_its_due_date() -> None:
    """Simulated daily runs for two years: three letters, on the hand-checked due days."""
    moved_in = date(2025, 11, 30)
    sent: dict[int, date] = {}
    day = moved_in - timedelta(days=5)
    while day < date(2027, 12, 31):
        stage = due_stage(moved_in, day, SCHEDULE, set(sent))
        if stage is not None:
            assert stage.number not in sent
            sent[stage.number] = day
        day += timedelta(days=1)
    assert sent == {1: date(2025, 11, 30), 2: date(2026, 2, 28), 3: date(2026, 11, 30)}


def test_runs_with_gaps_never_send_two_letters_in_one_run() -> None:
    moved_in = date(2026, 1, 31)
    sent: list[int] = []
    # Weekly runs, with a 5-month outage in the middle.
    days = [moved_in + timedelta(days=7 * i) for i in range(3)]
    days += [date(2026, 9, 1) + timedelta(days=7 * i) for i in range(40)]
    for day in days:
        stage = due_stage(moved_in, day, SCHEDULE, set(sent))
        if stage is not None:
            sent.append(stage.number)
    assert sent == [1, 2, 3]


def test_custom_schedule_from_code() -> None:
    schedule = LetterSchedule((Stage(1, 0), Stage(2, 6)), last_stage_window_months=1)
    assert _number(due_stage(date(2026, 1, 31), date(2026, 7, 31), schedule, {1})) == 2
    assert due_stage(date(2026, 1, 31), date(2026, 8, 31), schedule, {1}) is None


TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("birth_dates", "expected"),
    [
        ([date(1990, 5, 1), date(2010, 1, 1)], "family"),
        ([date(1990, 5, 1), date(2008, 11, 29)], "family"),  # 17, turns 18 tomorrow
        ([date(1990, 5, 1), date(2008, 11, 28)], "adult"),  # 18 today: no child
        ([date(1997, 11, 29)], "young"),  # 28
        ([date(1996, 11, 29)], "young"),  # 29, turns 30 tomorrow
        ([date(1996, 11, 28)], "adult"),  # 30 today
        ([date(1961, 11, 29), date(1995, 1, 1)], "adult"),  # oldest 64
        ([date(1961, 11, 28), date(1995, 1, 1)], "senior"),  # oldest 65 today
        ([date(2010, 1, 1)], "family"),  # only a child
    ],
)
def test_age_group(birth_dates: list[date], expected: str) -> None:
    assert age_group(TODAY, birth_dates) == expected


def test_age_group_with_other_bands() -> None:
    assert age_group(TODAY, [date(1960, 1, 1)], AgeBands(senior_from=70)) == "adult"
    with pytest.raises(ValueError):
        age_group(TODAY, [])


def test_age_groups_of_the_shared_households() -> None:
    """Every household's group follows from the expected children and oldest adult's age."""
    expected = json.loads((TEST_DATA / "inmovers" / "inflyttade.expected.json").read_text())
    today = date.fromisoformat(expected["today"])
    parsed = parse_inmovers(
        (TEST_DATA / "inmovers" / "inflyttade.csv").read_bytes(), today=today, hash_key=b"k"
    )
    broken = {
        expected["households"][i]["address"] for i in expected["households_with_a_broken_row"]
    }
    by_address = {h.address.single_line(): h for h in parsed.households}
    counts = dict.fromkeys(("family", "young", "adult", "senior"), 0)
    for want in expected["households"]:
        if want["address"] in broken:
            continue
        oldest = want["oldest_adult_age"]
        wanted = (
            "family"
            if want["children"]
            else "senior"
            if oldest >= 65
            else "adult"
            if oldest >= 30
            else "young"
        )
        household = by_address[want["address"]]
        group = age_group(today, [p.birth_date for p in household.members])
        assert group == wanted, want
        counts[group] += 1
    assert all(counts.values())


@pytest.mark.parametrize(
    ("address", "stage"),
    [
        ("Parkvägen 8, 774 31 Avesta", 1),  # moved in 2026-11-28, today
        ("Skolgatan 2, 774 32 Avesta", 1),  # 2026-11-25
        ("Genvägen 5, 774 70 Horndal", 1),  # 2026-10-29: stage 2 due 2027-01-29
        ("Villagränd 14, 774 60 Fors", 2),  # 2025-11-30: stage 3 due 2026-11-30, in 2 days
        ("Ekgatan 78, 774 41 Krylbo", 3),  # 2025-11-24: stage 3 due 2026-11-24
        ("Stationsvägen 9, 774 30 Avesta", 3),  # 2025-11-20: stage 3 due 2026-11-20
        ("Kvarntorget 290, 774 40 Krylbo", 3),  # 2025-09-14: stage 3 until 2026-12-14
        ("Parkstigen 817, 774 40 Krylbo", 3),  # 2025-10-16: stage 3 until 2027-01-16
        ("Stortorget 298, 774 60 Fors", None),  # 2025-08-10: stage 3 ended 2026-11-10
        ("Backgatan 88, 774 42 Karlbo", None),  # 2025-08-21: stage 3 ended 2026-11-21
        ("Kyrkgatan 1, 774 60 Fors", 2),  # 2026-07-15: stage 2 since 2026-10-15
    ],
)
def test_due_stage_for_shared_households_on_the_expected_today(
    address: str, stage: int | None
) -> None:
    today = date(2026, 11, 28)
    parsed = parse_inmovers(
        (TEST_DATA / "inmovers" / "inflyttade.csv").read_bytes(), today=today, hash_key=b"k"
    )
    household = next(h for h in parsed.households if h.address.single_line() == address)
    assert _number(due_stage(household.moved_in, today, SCHEDULE, set())) == stage


def test_a_swedish_text_to_several_people_says_ni() -> None:
    from avestavard.services.letter_rules import address_several

    text = "Du är välkommen. Vill du träffa dina grannar? Anmäl dig, det är ditt val och din tur."
    assert address_several(text, "sv") == (
        "Ni är välkommen. Vill ni träffa era grannar? Anmäl er, det är ert val och er tur."
    )
    # Whole words only, and only Swedish.
    assert address_several("Vi dukar digitalt", "sv") == "Vi dukar digitalt"
    assert address_several("Did you see it?", "en") == "Did you see it?"
