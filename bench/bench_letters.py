"""Benchmark: a whole letters run for N generated households, against bare WeasyPrint.

    .venv/bin/python bench/bench_letters.py [--households 10000] [--database-url URL]

Builds a fresh database (a temporary SQLite file unless ``--database-url`` points at an empty
one), imports a generated register extract of N households whose letters are all due and all go
by post, then in the same process:

* run: ``run_letters`` as the daily job does it (plan, N letter rows committed in chunks, the
  batch claim, composing every letter, one PDF + CSV for the batch, storing them);
* bare: WeasyPrint alone on the very HTML of the same pages (``HTML(string).write_pdf()``), the
  HTML built beforehand and not timed.

Prints letters per second for both and the ratio (target: the run ≥ 50 % of bare WeasyPrint).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from avestavard import create_app
from avestavard.extensions import db

TODAY = date(2026, 11, 28)


def main() -> int:
    """Run the benchmark and print its figures (and a JSON line for scripts)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-letters-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app("testing", {"DATABASE_URL": url})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            figures = bench(app, args.households, args.seed)
            db.session.remove()
            db.engine.dispose()
    print(json.dumps(figures))
    return 0


def bench(app, households: int, seed: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Import, run and render; returns the figures."""
    from pypdf import PdfReader
    from sqlalchemy import select
    from weasyprint import HTML

    from avestavard.models.letters import Letter, LetterBatch, LetterHousehold
    from avestavard.services.letter_render import (
        PRINT_CHUNK_LETTERS,
        TEMPLATES_DIR,
        render_print_html,
    )
    from avestavard.services.letters import (
        LetterSettings,
        compose_for,
        effective_letter_config,
        run_letters,
    )
    from tests.integration.letters_support import generate_extract, import_bytes

    started = time.perf_counter()
    extract = generate_extract(households, today=TODAY, seed=seed)
    report = import_bytes(app, extract, today=TODAY)
    imported = time.perf_counter() - started
    assert report.households == households, report
    print(f"imported {report.persons_imported} people in {households} households: {imported:.1f} s")

    settings = LetterSettings.from_mapping(app.config)
    started = time.perf_counter()
    result = run_letters(db.session, TODAY, settings=settings, commit=db.session.commit)
    db.session.commit()
    run_seconds = time.perf_counter() - started
    assert result.created == households, result
    batch = db.session.scalars(select(LetterBatch)).one()
    pages = len(PdfReader(BytesIO(batch.pdf or b"")).pages)
    assert pages == households == batch.letter_count

    # The same pages, same order, same texts: the HTML WeasyPrint got, rebuilt untimed.
    config = effective_letter_config(db.session, settings.config)
    letters = db.session.scalars(
        select(Letter)
        .join(LetterHousehold, Letter.household_id == LetterHousehold.id)
        .where(Letter.batch_id == batch.id)
        .order_by(LetterHousehold.postcode, LetterHousehold.street, Letter.household_id, Letter.id)
    ).all()
    contents = [
        compose_for(
            x.household,
            stage=x.stage,
            age_group_name=x.age_group,
            language=x.language,
            letter_date=x.run_date,
            config=config,
        )
        for x in letters
    ]
    # WeasyPrint holds a whole document's layout in memory, so the run renders the batch in
    # chunks; bare WeasyPrint gets the same chunks (each one HTML document, built untimed).
    htmls = [
        render_print_html(contents[start : start + PRINT_CHUNK_LETTERS])
        for start in range(0, len(contents), PRINT_CHUNK_LETTERS)
    ]
    db.session.expunge_all()
    del contents, letters
    started = time.perf_counter()
    parts = [HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf() for html in htmls]
    bare_seconds = time.perf_counter() - started
    assert sum(len(PdfReader(BytesIO(part or b"")).pages) for part in parts) == pages

    run_rate = households / run_seconds
    bare_rate = households / bare_seconds
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"letters run (rows + PDF + CSV): {households} letters in {run_seconds:.1f} s = "
        f"{run_rate:.1f} letters/s"
    )
    print(
        f"WeasyPrint alone, same pages:   {households} pages in {bare_seconds:.1f} s = "
        f"{bare_rate:.1f} pages/s"
    )
    print(
        f"ratio: {100 * run_rate / bare_rate:.0f} % (target ≥ 50 %); peak memory {peak_mb:.0f} MB"
    )
    return {
        "households": households,
        "run_seconds": round(run_seconds, 2),
        "run_letters_per_s": round(run_rate, 1),
        "weasyprint_seconds": round(bare_seconds, 2),
        "weasyprint_pages_per_s": round(bare_rate, 1),
        "ratio": round(run_rate / bare_rate, 3),
        "peak_rss_mb": round(peak_mb),
    }


if __name__ == "__main__":
    sys.exit(main())
