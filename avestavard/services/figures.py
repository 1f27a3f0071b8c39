"""The programme's figures for a period, computed from the anonymous event log.

Everything is counted by SQL aggregates over ``figure_events`` (GROUP BY over the indexed day
and month columns), the same statements on SQLite and PostgreSQL; Python only turns the few
grouped rows into medians and percentages. Things that happened (registrations, matches,
letters …) count inside the period; states (active hosts, newcomers waiting …) are counted at the
end of the period, or today if the period has not ended yet.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from avestavard.errors import ValidationFailed
from avestavard.models.figures import FigureEvent, FigureKind
from avestavard.models.matches import ACTIVE_MATCH_STATES, MatchState

FLOW_KINDS = (
    FigureKind.REGISTERED,
    FigureKind.CONFIRMED,
    FigureKind.HOST_ADDED,
    FigureKind.INTERVIEW,
    FigureKind.APPROVED,
    FigureKind.APPROVAL_UNDONE,
    FigureKind.ACCEPTED,
    FigureKind.DECLINED,
    FigureKind.INTRODUCED,
    FigureKind.MET,
    FigureKind.ENDED,
    FigureKind.RATING,
    FigureKind.LETTER,
    FigureKind.UNSUBSCRIBED,
    FigureKind.MAIL_FAILED,
    FigureKind.WAIT_ENDED,
)
LEVEL_KINDS = (FigureKind.NEWCOMERS, FigureKind.HOSTS, FigureKind.FREE_PLACES, FigureKind.MATCHES)
MONTH_KINDS = (
    FigureKind.REGISTERED,
    FigureKind.APPROVED,
    FigureKind.APPROVAL_UNDONE,
    FigureKind.MET,
    FigureKind.LETTER,
)
LETTER_CHANNELS = ("email", "print")
# Undone approvals never took effect: they are not a state the figures show.
MATCH_STATES = tuple(state.value for state in MatchState if state != MatchState.UNDONE)
# Periods longer than this are refused (a typing mistake such as year 20026).
MAX_PERIOD_DAYS = 366 * 20


@dataclass(frozen=True)
class Period:
    """Days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            message = "Slutdatumet ligger före startdatumet."
            raise ValidationFailed(message, {"to": message})
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            message = "Perioden är för lång (högst 20 år)."
            raise ValidationFailed(message, {"from": message})

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The span of equal length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list[str]:
        """Every month the period touches, as ``YYYY-MM``, in order."""
        months = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def median(values: dict[int, int]) -> float | None:
    """The median of a distribution given as value → how many (None if empty)."""
    total = sum(values.values())
    if total <= 0:
        return None
    ordered = sorted((v, n) for v, n in values.items() if n > 0)

    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for value, count in ordered:
            seen += count
            if k < seen:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


def percentile(values: dict[int, int], share: float) -> int | None:
    """The nearest-rank percentile (``share`` 0.9: the 90th) of a value → count distribution."""
    total = sum(values.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for value, count in sorted(values.items()):
        seen += count
        if seen >= rank:
            return value
    return max(values)


def number(value: float | None) -> int | float | None:
    """A median as a whole number when it is one (``12.0`` → ``12``)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 1)


@dataclass
class _Counts:
    flows: dict[tuple[str, str | None, int | None], int]
    values: dict[tuple[str, str | None], dict[int, int]]
    levels: dict[tuple[str, str | None], int]
    waiting_since: dict[date, int]
    by_month: dict[tuple[str, str, int | None], int]
    wait_by_month: dict[str, dict[int, int]]

    def flow(self, kind: FigureKind, channel: str | None = None, stage: int | None = None) -> int:
        return sum(
            n
            for (k, c, s), n in self.flows.items()
            if k == kind and (channel is None or c == channel) and (stage is None or s == stage)
        )

    def distribution(self, kind: FigureKind, channel: str | None = None) -> dict[int, int]:
        merged: dict[int, int] = defaultdict(int)
        for (k, c), values in self.values.items():
            if k == kind and (channel is None or c == channel):
                for value, count in values.items():
                    merged[value] += count
        return dict(merged)

    def level(self, kind: FigureKind, channel: str | None = None) -> int:
        return sum(
            n
            for (k, c), n in self.levels.items()
            if k == kind and (channel is None or c == channel)
        )


def _between(period: Period) -> Any:
    return FigureEvent.occurred_on.between(period.start, period.end)


def _counts(session: Session, period: Period, state_day: date) -> _Counts:
    kinds = [k.value for k in FLOW_KINDS]
    flows = {
        (kind, channel, stage): count
        for kind, channel, stage, count in session.execute(
            select(FigureEvent.kind, FigureEvent.channel, FigureEvent.stage, func.count())
            .where(FigureEvent.kind.in_(kinds), _between(period))
            .group_by(FigureEvent.kind, FigureEvent.channel, FigureEvent.stage)
        ).all()
    }
    values: dict[tuple[str, str | None], dict[int, int]] = defaultdict(dict)
    valued = [FigureKind.ACCEPTED, FigureKind.DECLINED, FigureKind.RATING, FigureKind.WAIT_ENDED]
    for kind, channel, value, count in session.execute(
        select(FigureEvent.kind, FigureEvent.channel, FigureEvent.value, func.count())
        .where(FigureEvent.kind.in_([k.value for k in valued]), _between(period))
        .group_by(FigureEvent.kind, FigureEvent.channel, FigureEvent.value)
    ).all():
        values[(kind, channel)][value] = count
    levels = {
        (kind, channel): int(total or 0)
        for kind, channel, total in session.execute(
            select(FigureEvent.kind, FigureEvent.channel, func.sum(FigureEvent.value))
            .where(
                FigureEvent.kind.in_([k.value for k in LEVEL_KINDS]),
                FigureEvent.occurred_on <= state_day,
            )
            .group_by(FigureEvent.kind, FigureEvent.channel)
        ).all()
    }
    waiting_total = func.sum(FigureEvent.value)
    waiting_since = {
        since: int(total)
        for since, total in session.execute(
            select(FigureEvent.since, waiting_total)
            .where(
                FigureEvent.kind == FigureKind.NEWCOMERS.value,
                FigureEvent.channel == "waiting",
                FigureEvent.occurred_on <= state_day,
            )
            .group_by(FigureEvent.since)
            .having(waiting_total > 0)
        ).all()
        if since is not None
    }
    month_kinds = [k.value for k in MONTH_KINDS]
    by_month = {
        (month, kind, stage): count
        for month, kind, stage, count in session.execute(
            select(FigureEvent.month, FigureEvent.kind, FigureEvent.stage, func.count())
            .where(FigureEvent.kind.in_(month_kinds), _between(period))
            .group_by(FigureEvent.month, FigureEvent.kind, FigureEvent.stage)
        ).all()
    }
    wait_by_month: dict[str, dict[int, int]] = defaultdict(dict)
    for month, value, count in session.execute(
        select(FigureEvent.month, FigureEvent.value, func.count())
        .where(
            FigureEvent.kind == FigureKind.WAIT_ENDED.value,
            FigureEvent.channel == "matched",
            _between(period),
        )
        .group_by(FigureEvent.month, FigureEvent.value)
    ).all():
        wait_by_month[month][value] = count
    return _Counts(flows, values, levels, waiting_since, by_month, wait_by_month)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def compute_figures(
    session: Session, period: Period, *, stages: Sequence[int], today: date
) -> dict[str, Any]:
    """The figures of ``period`` as plain data (the JSON report; the pages render it).

    ``stages`` are the letter stages of ``config/letters.toml``; ``today`` caps the day states
    are counted at.
    """
    state_day = min(period.end, today)
    c = _counts(session, period, state_day)
    waits = {(state_day - since).days: n for since, n in c.waiting_since.items()}
    answer_days = c.distribution(FigureKind.ACCEPTED)
    for value, count in c.distribution(FigureKind.DECLINED).items():
        answer_days[value] = answer_days.get(value, 0) + count
    ratings = c.distribution(FigureKind.RATING)
    rating_count = sum(ratings.values())
    registered = c.flow(FigureKind.REGISTERED)
    confirmed = c.flow(FigureKind.CONFIRMED)
    approved = c.flow(FigureKind.APPROVED) - c.flow(FigureKind.APPROVAL_UNDONE)
    met = c.flow(FigureKind.MET)
    by_month = []
    for month in period.months():
        row: dict[str, Any] = {"month": month}
        for kind, name in (
            (FigureKind.REGISTERED, "registered"),
            (FigureKind.APPROVED, "approved"),
            (FigureKind.MET, "met"),
            (FigureKind.LETTER, "letters"),
        ):
            row[name] = sum(n for (m, k, _), n in c.by_month.items() if m == month and k == kind)
        row["approved"] -= sum(
            n
            for (m, k, _), n in c.by_month.items()
            if m == month and k == FigureKind.APPROVAL_UNDONE
        )
        row["letters_by_stage"] = {
            str(stage): c.by_month.get((month, FigureKind.LETTER.value, stage), 0)
            for stage in stages
        }
        wait = c.wait_by_month.get(month, {})
        row["wait_count"] = sum(wait.values())
        row["wait_median_days"] = number(median(wait))
        row["wait_p90_days"] = percentile(wait, 0.9)
        by_month.append(row)
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "states_on": state_day.isoformat(),
        "hosts": {
            "active": c.level(FigureKind.HOSTS, "active"),
            "paused": c.level(FigureKind.HOSTS, "paused"),
            "free_places": c.level(FigureKind.FREE_PLACES),
            "new": c.flow(FigureKind.HOST_ADDED),
            "interviews": c.flow(FigureKind.INTERVIEW),
        },
        "newcomers": {
            "registered": registered,
            "confirmed": confirmed,
            "waiting": sum(waits.values()),
            "median_wait_days": number(median(waits)),
            "longest_wait_days": max(waits) if waits else None,
            "unconfirmed": c.level(FigureKind.NEWCOMERS, "unconfirmed"),
        },
        "matches": {
            "approved": approved,
            "accepted": c.flow(FigureKind.ACCEPTED),
            "declined": c.flow(FigureKind.DECLINED),
            "median_answer_days": number(median(answer_days)),
            "introduced": c.flow(FigureKind.INTRODUCED),
            "met": met,
            "ended": c.flow(FigureKind.ENDED),
            "by_state": {state: c.level(FigureKind.MATCHES, state) for state in MATCH_STATES},
            "active": sum(c.level(FigureKind.MATCHES, s.value) for s in ACTIVE_MATCH_STATES),
        },
        "follow_up": {
            "ratings": rating_count,
            "mean_rating": round(sum(v * n for v, n in ratings.items()) / rating_count, 1)
            if rating_count
            else None,
            "distribution": {str(v): ratings.get(v, 0) for v in range(1, 6)},
        },
        "letters": {
            "created": c.flow(FigureKind.LETTER),
            "by_stage": {str(stage): c.flow(FigureKind.LETTER, stage=stage) for stage in stages},
            "by_channel": {ch: c.flow(FigureKind.LETTER, channel=ch) for ch in LETTER_CHANNELS},
            "unsubscribed": c.flow(FigureKind.UNSUBSCRIBED),
        },
        "mail_failures": c.flow(FigureKind.MAIL_FAILED),
        "funnel": [
            {"step": step, "count": count, "share": _share(count, registered)}
            for step, count in (
                ("registered", registered),
                ("confirmed", confirmed),
                ("matched", approved),
                ("met", met),
            )
        ],
        "by_month": by_month,
    }
