"""The helpers every service shares: month arithmetic and the coordinator check."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from avestavard.errors import PermissionDenied
from avestavard.services.audit import SystemActor
from avestavard.services.authorization import is_coordinator, require_coordinator
from avestavard.services.calendar_months import add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -13, date(2024, 12, 15)),
        (datetime(2026, 1, 31, 10, 5, tzinfo=UTC), 1, datetime(2026, 2, 28, 10, 5, tzinfo=UTC)),
        (datetime(2026, 5, 31, 23, 0, tzinfo=UTC), -3, datetime(2026, 2, 28, 23, 0, tzinfo=UTC)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected
    assert type(add_months(start, months)) is type(start)


def test_only_coordinators_pass_and_the_system_only_when_allowed() -> None:
    coordinator = SimpleNamespace(id=1, is_coordinator=True)
    host = SimpleNamespace(id=2, is_coordinator=False)
    system = SystemActor("scheduler")
    assert is_coordinator(coordinator) and not is_coordinator(host) and not is_coordinator(system)
    require_coordinator(coordinator)
    require_coordinator(system, system=True)
    with pytest.raises(PermissionDenied):
        require_coordinator(host, system=True)
    with pytest.raises(PermissionDenied):
        require_coordinator(system)
