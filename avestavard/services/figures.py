"""The programme's figures for a period, computed from the anonymous event log.

Everything is counted by SQL over the log, the same statements on SQLite and PostgreSQL: whole
months from ``figure_months`` (the log counted per month, kept by triggers), the days of a month
read only in part by a GROUP BY over ``figure_events`` (indexed by kind and day). States at a
date are summed from the monthly changes up to it. Python only adds up the grouped rows and
turns them into medians and percentages. Things that happened (registrations, matches,
letters …) count inside the period; states (active hosts, newcomers waiting …) are counted at the
end of the period, or today if the period has not ended yet.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from avestavard.errors import ValidationFailed
from avestavard.models.figures import (
    NO_CHANNEL,
    NO_SINCE,
    NO_STAGE,
    FigureEvent,
    FigureKind,
    FigureMonth,
)
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
    flows: dict[tuple[str, str | None, int | None], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    values: dict[tuple[str, str | None], dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    levels: dict[tuple[str, str | None], int] = field(default_factory=lambda: defaultdict(int))
    waiting_since: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    by_month: dict[tuple[str, str, int | None], int] = field(
        default_factory=lambda: defaultdict(int)
    )
    wait_by_month: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )

    def add(
        self,
        kind: str,
        month: str,
        channel: str | None,
        stage: int | None,
        value: int,
        since: date | None,
        events: int,
    ) -> None:
        """Count ``events`` events of one kind and dimensions (see :func:`_counts`)."""
        if kind in _LEVELS:
            self.levels[(kind, channel)] += value * events
            if since is not None and kind == FigureKind.NEWCOMERS and channel == "waiting":
                self.waiting_since[since] += value * events
            return
        self.flows[(kind, channel, stage)] += events
        if kind in _VALUED:
            self.values[(kind, channel)][value] += events
        if kind in _MONTHLY:
            self.by_month[(month, kind, stage)] += events
        if kind == FigureKind.WAIT_ENDED and channel == "matched":
            self.wait_by_month[month][value] += events

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
        return {value: count for value, count in merged.items() if count}

    def level(self, kind: FigureKind, channel: str | None = None) -> int:
        return sum(
            n
            for (k, c), n in self.levels.items()
            if k == kind and (channel is None or c == channel)
        )


_LEVELS = frozenset(k.value for k in LEVEL_KINDS)
_VALUED = frozenset(
    k.value
    for k in (FigureKind.ACCEPTED, FigureKind.DECLINED, FigureKind.RATING, FigureKind.WAIT_ENDED)
)
_MONTHLY = frozenset(k.value for k in MONTH_KINDS)


@dataclass(frozen=True)
class _Span:
    """Days read as whole months (``figure_months``) and as loose days (``figure_events``)."""

    months: tuple[str, str] | None  # the first and the last whole month, YYYY-MM
    days: tuple[tuple[date, date], ...]  # loose days, first and last of each run


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _span(start: date, end: date) -> _Span:
    """The days ``start`` to ``end``: the whole months among them, and the days around them."""
    first_whole = start if start.day == 1 else _next_month(start)
    after_whole = end.replace(day=1) if _next_month(end) - timedelta(days=1) != end else None
    last_whole = (after_whole - timedelta(days=1)) if after_whole is not None else end
    if first_whole > last_whole:
        return _Span(None, ((start, end),))
    days = []
    if start < first_whole:
        days.append((start, first_whole - timedelta(days=1)))
    if last_whole < end:
        days.append((last_whole + timedelta(days=1), end))
    return _Span((_month_key(first_whole), _month_key(last_whole)), tuple(days))


def _counts(session: Session, period: Period, state_day: date) -> _Counts:
    """Events of the period (FLOW_KINDS) and states on ``state_day`` (LEVEL_KINDS), counted.

    Whole months are read from ``figure_months`` (the period's rows as they are; the states'
    rows summed up to ``state_day``), the days of months read only in part by one GROUP BY over
    ``figure_events``: three statements at most, whatever the length of the period.
    """
    flows, levels = _span(period.start, period.end), _span(date(1, 1, 1), state_day)
    flow_kinds = [k.value for k in FLOW_KINDS]
    level_kinds = [k.value for k in LEVEL_KINDS]
    counts = _Counts()
    if flows.months is not None:
        for kind, month, channel, stage, value, events in session.execute(
            select(
                FigureMonth.kind,
                FigureMonth.month,
                FigureMonth.channel,
                FigureMonth.stage,
                FigureMonth.value,
                FigureMonth.events,
            ).where(FigureMonth.kind.in_(flow_kinds), FigureMonth.month.between(*flows.months))
        ):
            counts.add(
                kind,
                month,
                None if channel == NO_CHANNEL else channel,
                None if stage == NO_STAGE else stage,
                value,
                None,
                events,
            )
    if levels.months is not None:
        # States are sums of changes: summed here, and changes that cancel out are left behind.
        total = func.sum(FigureMonth.value * FigureMonth.events)
        for kind, channel, since, change in session.execute(
            select(FigureMonth.kind, FigureMonth.channel, FigureMonth.since, total)
            .where(FigureMonth.kind.in_(level_kinds), FigureMonth.month.between(*levels.months))
            .group_by(FigureMonth.kind, FigureMonth.channel, FigureMonth.since)
            .having(total != 0)
        ):
            counts.add(
                kind,
                "",
                None if channel == NO_CHANNEL else channel,
                None,
                int(change),
                None if since == NO_SINCE else date.fromisoformat(since),
                1,
            )
    loose = [
        and_(
            FigureEvent.kind.in_(kinds),
            or_(*(FigureEvent.occurred_on.between(first, last) for first, last in span.days)),
        )
        for kinds, span in ((flow_kinds, flows), (level_kinds, levels))
        if span.days
    ]
    if loose:
        dimensions = (
            FigureEvent.kind,
            FigureEvent.month,
            FigureEvent.channel,
            FigureEvent.stage,
            FigureEvent.value,
            FigureEvent.since,
        )
        for row in session.execute(
            select(*dimensions, func.count()).where(or_(*loose)).group_by(*dimensions)
        ):
            counts.add(*row)
    return counts


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
    waits = {(state_day - since).days: n for since, n in c.waiting_since.items() if n > 0}
    answer_days = c.distribution(FigureKind.ACCEPTED)
    for value, count in c.distribution(FigureKind.DECLINED).items():
        answer_days[value] = answer_days.get(value, 0) + count
    ratings = c.distribution(FigureKind.RATING)
    rating_count = sum(ratings.values())
    registered = c.flow(FigureKind.REGISTERED)
    confirmed = c.flow(FigureKind.CONFIRMED)
    approved = c.flow(FigureKind.APPROVED) - c.flow(FigureKind.APPROVAL_UNDONE)
    met = c.flow(FigureKind.MET)
    per_month: dict[tuple[str, str], int] = defaultdict(int)
    for (month, kind, _), n in c.by_month.items():
        per_month[(month, kind)] += n
    by_month = []
    for month in period.months():
        row: dict[str, Any] = {"month": month}
        for kind, name in (
            (FigureKind.REGISTERED, "registered"),
            (FigureKind.APPROVED, "approved"),
            (FigureKind.MET, "met"),
            (FigureKind.LETTER, "letters"),
        ):
            row[name] = per_month.get((month, kind.value), 0)
        row["approved"] -= per_month.get((month, FigureKind.APPROVAL_UNDONE.value), 0)
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
            "paused": c.level(FigureKind.NEWCOMERS, "paused"),
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
