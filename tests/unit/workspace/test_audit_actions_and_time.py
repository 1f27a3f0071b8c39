"""The audit actions' labels and the shared Stockholm-time formatting."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from avestavard.localtime import format_local_date, format_local_datetime
from avestavard.models.audit import AUDIT_ACTION_LABELS, AuditAction, audit_action_label

ROOT = Path(__file__).resolve().parents[3]


def test_every_action_has_a_swedish_and_an_english_label() -> None:
    assert set(AUDIT_ACTION_LABELS) == set(AuditAction)
    for action in AuditAction:
        swedish, english = AUDIT_ACTION_LABELS[action]
        assert swedish and english and swedish != english, action
    assert AuditAction.NOTIFY_HOST.label("sv") == "Skickade förfrågan till värden"
    assert AuditAction.NOTIFY_HOST.label("en") == "Asked the host"


def test_stored_actions_are_labelled_and_unknown_ones_shown_as_stored() -> None:
    assert audit_action_label("download_letter_batch", "sv") == "Laddade ner brevomgång"
    assert audit_action_label("retention-purge:4", "en") == "Purged old records"
    assert audit_action_label("something-old", "sv") == "something-old"


def _record_calls() -> list[tuple[str, int, ast.expr]]:
    calls = []
    for path in sorted((ROOT / "avestavard").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 3:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "record":
                calls.append((str(path.relative_to(ROOT)), node.lineno, node.args[2]))
    return calls


def test_code_writes_audit_actions_only_through_the_enumeration() -> None:
    calls = _record_calls()
    assert len(calls) > 40
    literal = [(path, line) for path, line, arg in calls if isinstance(arg, ast.Constant)]
    assert literal == []


@pytest.mark.parametrize(
    ("moment", "locale", "expected"),
    [
        (datetime(2026, 12, 5, 13, 3, tzinfo=UTC), "sv", "5 dec. 2026 14:03"),
        (datetime(2026, 7, 5, 13, 3, tzinfo=UTC), "sv", "5 juli 2026 15:03"),
        (datetime(2026, 12, 5, 13, 3, tzinfo=UTC), "en", "Dec 5, 2026, 2:03\u202fPM"),
        (datetime(2026, 12, 5, 13, 3), "sv", "5 dec. 2026 14:03"),  # naive means UTC
        (None, "sv", ""),
    ],
)
def test_datetimes_are_shown_in_stockholm_time(
    moment: datetime | None, locale: str, expected: str
) -> None:
    assert format_local_datetime(moment, locale).replace(" ", "\u202f") == expected.replace(
        " ", "\u202f"
    )


def test_dates_and_late_evening_utc_times_fall_on_the_swedish_day() -> None:
    assert format_local_date(date(2026, 12, 5), "sv") == "5 dec. 2026"
    # 23:30 UTC on New Year's Eve is already 2027 in Avesta.
    assert format_local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "sv") == "1 jan. 2027"
