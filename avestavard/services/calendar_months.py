"""Calendar-month arithmetic, one rule for letters, follow-ups and retention."""

from __future__ import annotations

import calendar
from datetime import date
from typing import TypeVar

Day = TypeVar("Day", bound=date)


def add_months(day: Day, months: int) -> Day:
    """``day`` plus ``months`` calendar months (negative goes back); a day that does not exist
    becomes the month's last. Works on dates and datetimes alike (the time of day is kept).

    2025-11-30 + 3 months = 2026-02-28; 2024-02-29 + 12 months = 2025-02-28.
    """
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )
