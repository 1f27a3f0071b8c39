"""Benchmark: the figures of a larger municipality over ten years, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_figures.py [--postgres-url URL]
    scripts/with-postgres .venv/bin/python bench/bench_figures.py

Fills a fresh database with the anonymous event log of ten years: 5,000 hosts, 20,000
newcomers (registered, confirmed, waiting, matched through every step, some declined and ended,
follow-up ratings) and 100,000 welcome letters. The figures read only this log, so the events
are written directly (as the services would have written them), in bulk; the database's
triggers count them per month as they would for the services. Then it times, server side:

* the JSON report for the ten years (``compute_figures``, best of 5);
* the figures page (``/coordinator/figures`` for the last year, a logged-in coordinator; best
  of 5) and its three chart images (first request: drawn; again: drawn charts are kept);
* the PDF report for the last year (two periods, charts, WeasyPrint): once with no chart drawn
  yet (the time the target applies to; WeasyPrint and its fonts already loaded by a report of
  another period, as in a running server), then the best of 3 with the charts kept.

The rows written to fill the database are let go before anything is timed.

The databases: a temporary SQLite file, and PostgreSQL when ``--postgres-url`` names an empty
database or ``scripts/with-postgres`` provides one (``AVESTAVARD_TEST_DATABASE_URL``). Targets:
JSON and page under 300 ms, PDF under 3 s; prints each time with its ratio to the target and
a JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template
from sqlalchemy import func, insert, select

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import FigureEvent, FigureKind, FigureMonth, Role
from avestavard.services import charts
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


TARGETS = {"json_ms": 300.0, "page_ms": 300.0, "pdf_ms": 3000.0}


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    """The best of ``repeat`` runs, in milliseconds, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, result


def forget_charts() -> None:
    """Drop the charts drawn so far (each is kept per its data)."""
    charts._bar_chart.cache_clear()
    charts._line_chart.cache_clear()


def measure(url: str) -> dict[str, object]:
    """Fill the database at ``url`` and time the report, the page and the PDF."""
    app = create_app("testing", {"DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        rows = events(random.Random(2026))
        started = time.perf_counter()
        for start in range(0, len(rows), 20_000):
            db.session.execute(insert(FigureEvent), rows[start : start + 20_000])
        fill_s = time.perf_counter() - started
        event_count = len(rows)
        # A server holds no half million rows in memory: they would only slow the collector.
        del rows
        gc.collect()
        from avestavard.services.users import create_user

        create_user(
            db.session,
            email="bench@avesta.example",
            password="benchmark-password-long",
            role=Role.COORDINATOR,
            name="",
        )
        db.session.commit()
        months = db.session.scalar(select(func.count()).select_from(FigureMonth))
        ten_years = Period(START, END)
        json_ms, figures = timed(
            lambda: compute_figures(db.session, ten_years, stages=[1, 2, 3], today=END)
        )
    forget_charts()
    client = app.test_client()
    client.post(
        "/login", data={"email": "bench@avesta.example", "password": "benchmark-password-long"}
    )
    query = "period=custom&from=2025-12-01&to=2026-11-30"
    page_url = f"/coordinator/figures?{query}"
    assert client.get(page_url).status_code == 200
    page_ms, _ = timed(lambda: client.get(page_url))

    def chart_images() -> None:
        for key in ("activity", "wait", "letters"):
            response = client.get(f"/coordinator/figures/chart/{key}.svg?{query}")
            assert response.status_code == 200 and response.data.startswith(b"<?xml")

    charts_first_ms, _ = timed(chart_images, repeat=1)
    charts_again_ms, _ = timed(chart_images, repeat=3)
    with app.test_request_context():
        last_year = Period(date(2025, 12, 1), END)

        def pdf() -> bytes:
            report = build_report(db.session, last_year, stage_labels=STAGES, today=END)
            return to_pdf(report, render_template)

        # A running server has WeasyPrint and its fonts loaded: a report of another period
        # loads them, then the charts drawn so far are dropped.
        to_pdf(
            build_report(
                db.session,
                Period(START, START + timedelta(days=364)),
                stage_labels=STAGES,
                today=END,
            ),
            render_template,
        )
        forget_charts()
        pdf_first_ms, document = timed(pdf, repeat=1)
        pdf_again_ms, _ = timed(pdf, repeat=3)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {
        "events": event_count,
        "month_rows": months,
        "fill_s": round(fill_s, 1),
        "json_ten_years_ms": round(json_ms, 1),
        "page_last_year_ms": round(page_ms, 1),
        "chart_images_first_ms": round(charts_first_ms, 1),
        "chart_images_again_ms": round(charts_again_ms, 1),
        "pdf_last_year_ms": round(pdf_first_ms, 1),
        "pdf_last_year_charts_kept_ms": round(pdf_again_ms, 1),
        "pdf_bytes": len(document),  # type: ignore[arg-type]
        "registrations": figures["newcomers"]["registered"],  # type: ignore[index]
        "letters": figures["letters"]["created"],  # type: ignore[index]
    }


def report(name: str, result: dict[str, object]) -> None:
    """Print one database's times with their targets and ratios."""
    print(f"\n{name}: {result['events']:,} events, {result['month_rows']:,} month rows")

    def line(label: str, key: str, target: str | None = None) -> None:
        value = float(result[key])  # type: ignore[arg-type]
        if target is None:
            print(f"  {label:<44} {value:9.1f} ms")
            return
        limit = TARGETS[target]
        verdict = "ok" if value < limit else "MISSED"
        print(
            f"  {label:<44} {value:9.1f} ms  target < {limit:,.0f} ms"
            f"  ratio {value / limit:4.2f}  {verdict}"
        )

    line("JSON report, ten years", "json_ten_years_ms", "json_ms")
    line("figures page, last year", "page_last_year_ms", "page_ms")
    line("its three chart images, first request", "chart_images_first_ms")
    line("its three chart images, again", "chart_images_again_ms")
    line("PDF report, last year (charts drawn)", "pdf_last_year_ms", "pdf_ms")
    line("PDF report, last year (charts kept)", "pdf_last_year_charts_kept_ms")
    print(
        f"  ten years: {result['registrations']:,} registrations, "
        f"{result['letters']:,} letters; filled in {result['fill_s']} s"
    )


def main() -> int:
    """Time both databases and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres-url", default="")
    args = parser.parse_args()
    postgres = args.postgres_url
    if not postgres and os.environ.get("AVESTAVARD_TEST_DB") == "postgres":
        postgres = os.environ.get("AVESTAVARD_TEST_DATABASE_URL", "")
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
    if postgres:
        results["postgresql"] = measure(postgres)
    for name, result in results.items():
        report(name, result)
    if not postgres:
        print("\nPostgreSQL: not measured (run under scripts/with-postgres or give --postgres-url)")
    print(json.dumps({"targets": TARGETS, **results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
