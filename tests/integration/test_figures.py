"""Figures from the anonymous event log: a half year with fixed dates gives every figure, and
erasing people or running retention afterwards changes none of them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select

from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.models import FigureEvent, Newcomer, NewcomerStatus
from avestavard.services.audit import SystemActor
from avestavard.services.figures import Period, compute_figures
from avestavard.services.my_registration import pause
from avestavard.services.profiles import erase_person
from tests.integration.figures_support import EXPECTED, EXPECTED_MONTHS, PERIOD, build_history

TODAY = date(2026, 12, 5)


def figures(app: Flask, start: date, end: date, today: date = TODAY) -> dict[str, Any]:
    with app.app_context():
        return compute_figures(db.session, Period(start, end), stages=[1, 2, 3], today=today)


def test_every_figure_of_a_half_year(app: Flask) -> None:
    build_history(app)
    result = figures(app, *PERIOD)
    for section, expected in EXPECTED.items():
        assert result[section] == expected, section
    months = [
        (
            row["month"],
            row["registered"],
            row["approved"],
            row["met"],
            row["letters"],
            row["letters_by_stage"],
            row["wait_median_days"],
            row["wait_p90_days"],
        )
        for row in result["by_month"]
    ]
    assert months == EXPECTED_MONTHS


def test_previous_period_and_states_at_its_end(app: Flask) -> None:
    build_history(app)
    previous = Period(*PERIOD).previous()
    assert (previous.start, previous.end) == (date(2025, 7, 4), date(2025, 12, 31))
    result = figures(app, previous.start, previous.end)
    assert result["hosts"] == {
        "active": 1,
        "paused": 0,
        "free_places": 2,
        "new": 1,
        "interviews": 1,
    }
    assert result["newcomers"]["registered"] == 1
    assert result["newcomers"]["waiting"] == 1
    assert result["newcomers"]["median_wait_days"] == 29  # since 2 December
    assert result["matches"]["approved"] == 0
    assert [row["month"] for row in result["by_month"]] == [f"2025-{m:02d}" for m in range(7, 13)]
    # States in the middle of the period: on 28 February Omar waits again after the decline.
    mid = figures(app, date(2026, 2, 1), date(2026, 2, 28))
    assert mid["newcomers"]["waiting"] == 3  # Omar (again), Sara and Juan
    assert mid["matches"]["by_state"]["declined"] == 1
    assert mid["matches"]["by_state"]["met"] == 1


def test_erasure_and_retention_leave_past_figures_alone(app: Flask) -> None:
    ids = build_history(app)
    before = figures(app, *PERIOD)
    with app.app_context():
        events = db.session.scalar(select(func.count()).select_from(FigureEvent))
        for kind, key in (("newcomer", "n2"), ("newcomer", "n1"), ("host", "hA")):
            erase_person(db.session, SystemActor("test"), kind, ids[key])  # type: ignore[arg-type]
        db.session.commit()
        # only new rows were added: the log is never rewritten
        assert db.session.scalar(select(func.count()).select_from(FigureEvent)) > events
    assert figures(app, *PERIOD) == before
    # from the day of the erasure the erased people and Karin's matches are gone from the states
    erased_on = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    now = figures(app, min(date(2026, 12, 1), erased_on), erased_on, today=erased_on)
    assert now["hosts"]["active"] == 2
    assert now["matches"]["by_state"]["met"] == 0
    assert now["matches"]["by_state"]["host_notified"] == 0


def test_a_period_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        Period(date(2026, 2, 1), date(2026, 1, 31))


def test_the_migration_backfills_the_same_history_from_stored_data(app: Flask) -> None:
    """The events the migration derives from existing rows give the same counts by date."""
    import importlib.util

    from sqlalchemy import delete, insert

    from tests.paths import REPO_ROOT

    spec = importlib.util.spec_from_file_location(
        "figures_migration", REPO_ROOT / "migrations" / "versions" / "0015_figures.py"
    )
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    build_history(app)
    live = figures(app, *PERIOD)
    live_today = figures(app, TODAY, TODAY)
    with app.app_context():
        db.session.execute(delete(FigureEvent))
        rows = migration._backfill(db.session.connection())
        db.session.execute(insert(FigureEvent), rows)
        db.session.commit()
    backfilled = figures(app, *PERIOD)
    for section in ("letters", "follow_up", "funnel", "by_month"):
        assert backfilled[section] == live[section], section
    for name in ("approved", "accepted", "declined", "introduced", "met", "ended", "by_state"):
        assert backfilled["matches"][name] == live["matches"][name], name
    assert backfilled["newcomers"]["waiting"] == live["newcomers"]["waiting"]
    # A host's pause has no date of its own in the stored data: it counts from the last change.
    assert backfilled["hosts"]["new"] == live["hosts"]["new"] == 3
    assert figures(app, TODAY, TODAY)["hosts"] == {**live_today["hosts"]}


def test_a_paused_newcomer_counts_as_paused_from_the_day_of_the_pause(
    app: Flask, coordinator_client: Any
) -> None:
    with app.app_context():
        newcomer = Newcomer(
            name="Fatima Abdi",
            email="fatima@example.org",
            languages=["so"],
            status=NewcomerStatus.WAITING,
            registered_at=datetime(2026, 2, 2, 8, tzinfo=UTC),
            confirmed_at=datetime(2026, 2, 2, 9, tzinfo=UTC),
        )
        db.session.add(newcomer)
        db.session.flush()
        pause(db.session, newcomer, now=datetime(2026, 3, 10, 12, tzinfo=UTC))
        db.session.commit()
    february = figures(app, date(2026, 2, 1), date(2026, 2, 28))["newcomers"]
    assert (february["waiting"], february["paused"]) == (1, 0)
    march = figures(app, date(2026, 3, 1), date(2026, 3, 31))["newcomers"]
    assert (march["waiting"], march["paused"]) == (0, 1)
    page = coordinator_client.get(
        "/coordinator/figures?period=custom&from=2026-03-01&to=2026-03-31"
    )
    html = page.get_data(as_text=True)
    assert 'data-figure="newcomers.paused">1<' in html
    assert 'data-figure="newcomers.waiting">0<' in html
