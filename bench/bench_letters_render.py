"""Micro-benchmark: our letter pipeline against bare WeasyPrint on the same pages.

    .venv/bin/python bench/bench_letters_render.py [--n 1000] [--seed 7]

Composes N letters (mixed stages, age groups and languages, a third of them Swedish letters with
the lines in other languages), then in the same process:

* ours: ``render_print_batch_pdf(letters)``: Jinja templates + WeasyPrint, what a print run does;
* bare: ``HTML(string=html).write_pdf()`` on the same HTML, built beforehand and not timed.

Prints letters per second for both and the ratio (target: ours ≥ 50 % of bare).
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import time
from datetime import date

from pypdf import PdfReader
from weasyprint import HTML

from avestavard.imports.inmovers_csv import Address
from avestavard.services.letter_render import (
    TEMPLATES_DIR,
    LetterContent,
    compose_letter,
    render_print_batch_pdf,
    render_print_html,
)
from avestavard.services.letter_rules import AGE_GROUPS, load_letter_config

FIRST = ["Anna", "Åsa", "Jörgen", "Omar", "Fatima", "Erik", "Märta", "Ahmad", "Sofia", "Lars"]
LAST = ["Öberg", "Hassan", "Andersson", "Khalil", "Nyström", "Pettersson", "Ali", "Wallin"]
STREETS = ["Kungsgatan", "Ängsgatan", "Kyrkgatan", "Trädgårdsgränd", "Björkvägen", "Storgatan"]
TOWNS = [("774 30", "AVESTA"), ("774 40", "KRYLBO"), ("774 42", "KARLBO"), ("774 60", "FORS")]
LANGUAGES = [None, None, "sv", "en", "ar"]


def make_letters(n: int, seed: int) -> list[LetterContent]:
    """N letters as a print run would compose them."""
    config = load_letter_config()
    rng = random.Random(seed)
    letters = []
    for index in range(n):
        last = rng.choice(LAST)
        adults = [(rng.choice(FIRST), last) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        postcode, town = rng.choice(TOWNS)
        address = Address(f"{rng.choice(STREETS)} {rng.randint(1, 120)}", postcode, town)
        letters.append(
            compose_letter(
                config,
                stage=rng.randint(1, 3),
                age_group=rng.choice(AGE_GROUPS),
                language=rng.choice(LANGUAGES),
                recipients=adults,
                address=address,
                letter_date=date(2026, 11, 28),
                reference=f"B-1/{index + 1}",
            )
        )
    return letters


def main() -> None:
    """Run both renderings once on the same letters and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="letters to render (default 1000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    letters = make_letters(args.n, args.seed)
    render_print_batch_pdf(letters[:2])  # warm-up: fonts, templates, WeasyPrint imports

    start = time.perf_counter()
    ours = render_print_batch_pdf(letters)
    ours_s = time.perf_counter() - start
    ours_peak_mb = _peak_mb()

    html = render_print_html(letters)
    start = time.perf_counter()
    bare = HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()
    bare_s = time.perf_counter() - start

    pages = len(PdfReader(io.BytesIO(ours)).pages)
    assert pages == args.n, f"{pages} pages for {args.n} letters"
    assert bare is not None and len(PdfReader(io.BytesIO(bare)).pages) == args.n
    print(f"letters:        {args.n} ({pages} pages, {len(ours) / 1e6:.1f} MB PDF)")
    print(f"ours (Jinja + WeasyPrint): {args.n / ours_s:8.1f} letters/s  ({ours_s:.1f} s)")
    print(f"bare WeasyPrint:           {args.n / bare_s:8.1f} letters/s  ({bare_s:.1f} s)")
    print(f"ratio ours/bare:           {bare_s / ours_s:8.0%}")
    print(f"peak memory after ours:    {ours_peak_mb:8.0f} MB")
    print(f"peak memory after bare:    {_peak_mb():8.0f} MB")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
