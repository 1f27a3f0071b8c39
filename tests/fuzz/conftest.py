"""Hypothesis settings of the fuzz tests and the count of inputs they posted.

Two profiles, chosen with ``HYPOTHESIS_PROFILE``:

- ``ci`` (the default): derandomised, the same inputs on every run, a fixed small budget per
  form (each test's ``examples(n)``), so ``make test`` stays quick and never flaky;
- ``long``: random inputs and 25 times the examples, for a manual run before a release:
  ``HYPOTHESIS_PROFILE=long AVESTAVARD_TEST_DB=sqlite .venv/bin/pytest tests/fuzz``.

The run ends with one line: how many inputs were posted, to how many endpoints, with which
answers (none may be a 5xx: an exception fails the test where it happens).
"""

from __future__ import annotations

from typing import Any

from tests.fuzz.forms import PROFILE, TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY.posts:
        terminalreporter.write_line(f"{TALLY.summary()} [profile {PROFILE}]")
        terminalreporter.write_line(f"per endpoint, posted (accepted): {TALLY.per_endpoint()}")
