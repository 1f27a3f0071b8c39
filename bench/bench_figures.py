"""Benchmark: the figures of a larger municipality over ten years.

    .venv/bin/python bench/bench_figures.py [--database-url URL]

Fills a fresh database (a temporary SQLite file unless ``--database-url`` points at an empty one)
with the anonymous event log of ten years: 5,000 hosts, 20,000 newcomers (registered, confirmed,
waiting, matched through every step, some declined and ended, follow-up ratings) and 100,000
welcome letters. The figures read only this log, so the events are written directly (as the
services would have written them), in bulk. Then it times, server side:

* the figures page (``/coordinator/figures`` for the last year, a logged-in coordinator);
* the JSON report for the ten years (``compute_figures``);
* the PDF report for the last year (two periods, charts, WeasyPrint).

Targets: page and JSON under 300 ms, PDF under 3 s. Prints the figures and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template
from sqlalchemy import insert

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import FigureEvent, FigureKind, Role
from avestavard.services.figure_events import event_values
from avestavard.services.figures import Period, compute_figures
from avestavard.services.status_report import build_report, to_pdf

END = date(2026, 11, 30)
START = date(2016, 12, 1)
STAGES = {1: "Välkommen", 2: "Efter tre månader", 3: "Efter ett år"}


def _day(rng: random.Random) -> date:
    return START + timedelta(days=rng.randrange((END - START).days))


def events(rng: random.Random) -> list[dict[str, object]]:
    """The event rows of ten years (see the module docstring)."""
    rows: list[dict[str, object]] = []
    add = rows.append
    for _ in range(5_000):
        day = _day(rng)
        add(event_values(FigureKind.HOST_ADDED, day))
        add(event_values(FigureKind.INTERVIEW, day))
        add(event_values(FigureKind.HOSTS, day, channel="active"))
        add(event_values(FigureKind.FREE_PLACES, day, value=2))
    for _ in range(20_000):
        day = _day(rng)
        add(event_values(FigureKind.REGISTERED, day))
        confirmed = day + timedelta(days=rng.randrange(3))
        if confirmed > END:
            continue
        add(event_values(FigureKind.CONFIRMED, confirmed))
        add(event_values(FigureKind.NEWCOMERS, confirmed, channel="waiting", since=confirmed))
        matched = confirmed + timedelta(days=rng.randrange(1, 120))
        if matched > END:
            continue
        waited = (matched - confirmed).days
        add(
            event_values(
                FigureKind.NEWCOMERS, matched, value=-1, channel="waiting", since=confirmed
            )
        )
        add(event_values(FigureKind.NEWCOMERS, matched, channel="matched"))
        add(event_values(FigureKind.WAIT_ENDED, matched, value=waited, channel="matched"))
        add(event_values(FigureKind.APPROVED, matched, channel="matcher"))
        add(event_values(FigureKind.MATCHES, matched, channel="approved"))
        add(event_values(FigureKind.FREE_PLACES, matched, value=-1))
        answered = matched + timedelta(days=rng.randrange(10))
        if answered > END:
            continue
        add(event_values(FigureKind.MATCHES, answered, value=-1, channel="approved"))
        if rng.random() < 0.1:
            add(event_values(FigureKind.DECLINED, answered, value=(answered - matched).days))
            add(event_values(FigureKind.MATCHES, answered, channel="declined"))
            add(event_values(FigureKind.FREE_PLACES, answered, value=1))
            continue
        add(event_values(FigureKind.ACCEPTED, answered, value=(answered - matched).days))
        add(event_values(FigureKind.INTRODUCED, answered))
        met = answered + timedelta(days=rng.randrange(3, 40))
        if met > END:
            add(event_values(FigureKind.MATCHES, answered, channel="introduced"))
            continue
        add(event_values(FigureKind.MET, met))
        add(event_values(FigureKind.MATCHES, met, channel="met"))
        add(event_values(FigureKind.RATING, met, value=rng.randint(1, 5), channel="newcomer"))
        ended = met + timedelta(days=rng.randrange(60, 400))
        if ended <= END:
            add(event_values(FigureKind.ENDED, ended))
            add(event_values(FigureKind.MATCHES, ended, value=-1, channel="met"))
            add(event_values(FigureKind.MATCHES, ended, channel="ended"))
            add(event_values(FigureKind.FREE_PLACES, ended, value=1))
    for _ in range(100_000):
        add(
            event_values(
                FigureKind.LETTER,
                _day(rng),
                stage=rng.choice((1, 1, 2, 3)),
                channel=rng.choice(("print", "print", "email")),
            )
        )
    return rows


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """The best of ``repeat`` runs, in milliseconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, result


def main() -> int:
    """Fill the database, time the three requests and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    app = create_app("testing", {"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        rows = events(random.Random(2026))
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(FigureEvent), rows[start : start + 20_000])
        from avestavard.services.users import create_user

        create_user(
            db.session,
            email="bench@avesta.example",
            password="benchmark-password-long",
            role=Role.COORDINATOR,
            name="",
        )
        db.session.commit()
        print(f"event rows: {len(rows):,}")
        ten_years = Period(START, END)
        json_ms, figures = timed(
            lambda: compute_figures(db.session, ten_years, stages=[1, 2, 3], today=END)
        )
    client = app.test_client()
    client.post(
        "/login", data={"email": "bench@avesta.example", "password": "benchmark-password-long"}
    )
    page_url = "/coordinator/figures?period=custom&from=2025-12-01&to=2026-11-30"
    assert client.get(page_url).status_code == 200
    page_ms, _ = timed(lambda: client.get(page_url))
    with app.test_request_context():
        last_year = Period(date(2025, 12, 1), END)
        pdf_ms, pdf = timed(
            lambda: to_pdf(
                build_report(db.session, last_year, stage_labels=STAGES, today=END),
                render_template,
            ),
            repeat=2,
        )
    result = {
        "events": len(rows),
        "json_ten_years_ms": round(json_ms, 1),
        "page_last_year_ms": round(page_ms, 1),
        "pdf_last_year_ms": round(pdf_ms, 1),
        "pdf_bytes": len(pdf),  # type: ignore[arg-type]
        "targets": {"json_ms": 300, "page_ms": 300, "pdf_ms": 3000},
    }
    print(f"JSON report, ten years:  {json_ms:8.1f} ms (target < 300)")
    print(f"figures page, one year:  {page_ms:8.1f} ms (target < 300; charts: own requests)")
    print(f"PDF report, one year:    {pdf_ms:8.1f} ms (target < 3000)")
    print(
        f"ten years: {figures['newcomers']['registered']:,} registrations, "  # type: ignore[index]
        f"{figures['letters']['created']:,} letters"
    )  # type: ignore[index]
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
