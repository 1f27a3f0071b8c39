"""The event log counted per month (``figure_months``): the triggers keep it equal to the log
whoever writes to it, and figures read from whole months equal figures read day by day."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import delete, insert, select, update

from avestavard.extensions import db
from avestavard.models import FigureEvent, FigureKind, FigureMonth
from avestavard.services import figures as figures_service
from avestavard.services.figure_events import event_values
from avestavard.services.figures import Period, compute_figures
from tests.integration.figures_support import build_history


def _log_per_month() -> Counter[tuple[object, ...]]:
    """The log grouped by month and dimensions, counted here (not by the database)."""
    return Counter(
        (
            e.kind,
            e.month,
            e.channel or "",
            e.stage or 0,
            e.value,
            e.since.isoformat() if e.since else "",
        )
        for e in db.session.scalars(select(FigureEvent))
    )


def _months() -> Counter[tuple[object, ...]]:
    return Counter(
        {
            (m.kind, m.month, m.channel, m.stage, m.value, m.since): m.events
            for m in db.session.scalars(select(FigureMonth))
        }
    )


def test_month_counts_follow_every_write_to_the_log(app: Flask) -> None:
    build_history(app)
    with app.app_context():
        counted = _log_per_month()
        assert counted and _months() == counted
        # a bulk load without the ORM (as an import or the benchmark writes)
        rows = [
            event_values(FigureKind.LETTER, date(2026, 2, 3), stage=2, channel="print"),
            event_values(FigureKind.LETTER, date(2026, 2, 3), stage=2, channel="print"),
            event_values(FigureKind.NEWCOMERS, date(2026, 3, 1), channel="waiting", since=None),
            event_values(
                FigureKind.NEWCOMERS,
                date(2026, 3, 9),
                value=-1,
                channel="waiting",
                since=date(2026, 1, 4),
            ),
        ]
        db.session.execute(insert(FigureEvent), rows)
        db.session.commit()
        assert _months() == _log_per_month() != counted
        # rows changed or taken away are taken back from their month
        db.session.execute(
            update(FigureEvent)
            .where(FigureEvent.kind == FigureKind.LETTER.value, FigureEvent.stage == 2)
            .values(channel="email")
        )
        db.session.execute(delete(FigureEvent).where(FigureEvent.kind == FigureKind.MET.value))
        db.session.commit()
        assert _months() == _log_per_month()
        assert not db.session.scalars(
            select(FigureMonth).where(FigureMonth.kind == FigureKind.MET.value)
        ).all()
        # a transaction rolled back leaves no count behind
        db.session.execute(insert(FigureEvent), rows)
        db.session.rollback()
        assert _months() == _log_per_month()


PERIODS = [
    (date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 5)),  # whole months
    (date(2026, 1, 15), date(2026, 5, 10), date(2026, 12, 5)),  # parts around whole ones
    (date(2026, 2, 3), date(2026, 2, 20), date(2026, 12, 5)),  # inside one month
    (date(2025, 12, 20), date(2026, 3, 31), date(2026, 3, 14)),  # states before the end
]


def test_whole_months_give_what_the_days_give(app: Flask) -> None:
    build_history(app)
    stages = [1, 2, 3]
    with app.app_context():
        for start, end, today in PERIODS:
            period = Period(start, end)
            by_months = compute_figures(db.session, period, stages=stages, today=today)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(
                    figures_service, "_span", lambda a, b: figures_service._Span(None, ((a, b),))
                )
                by_days = compute_figures(db.session, period, stages=stages, today=today)
            assert by_months == by_days, (start, end)
            assert by_months["newcomers"]["registered"] > 0  # each period holds events
