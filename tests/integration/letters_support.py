"""Helpers for the welcome-letter tests and benchmark: the sample extract, generated extracts."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from flask import Flask

from avestavard.extensions import db
from avestavard.imports.inmovers_csv import luhn_valid, parse_inmovers
from avestavard.services.audit import SystemActor
from avestavard.services.letters import ImportReport, LetterSettings, RunReport, import_inmovers
from avestavard.services.letters import run_letters as _run_letters
from tests.paths import TEST_DATA

SAMPLE_CSV = TEST_DATA / "inmovers" / "inflyttade.csv"
SAMPLE_EXPECTED = TEST_DATA / "inmovers" / "inflyttade.expected.json"
# The day the sample extract was made; its expected ages are taken on this day.
SAMPLE_TODAY = date(2026, 11, 28)
HEADER = (
    "Personnummer;Förnamn;Efternamn;c/o;Utdelningsadress;Postnummer;Postort;"
    "Inflyttningsdatum;Tidigare kommun"
)


def expected() -> dict[str, Any]:
    """The facts a correct import of the sample reproduces."""
    return json.loads(SAMPLE_EXPECTED.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def settings(app: Flask) -> LetterSettings:
    """The letter settings of ``app`` (call inside an app context or not: config only)."""
    return LetterSettings.from_mapping(app.config)


def import_bytes(app: Flask, data: bytes, today: date = SAMPLE_TODAY) -> ImportReport:
    """Import an extract through the service and commit, as the command does."""
    with app.app_context():
        parse = parse_inmovers(data, today=today, hash_key=settings(app).person_hash_key)
        report = import_inmovers(db.session, parse, SystemActor("test"))
        db.session.commit()
        return report


def import_sample(app: Flask) -> ImportReport:
    """Import the shared sample extract."""
    return import_bytes(app, SAMPLE_CSV.read_bytes())


def run(app: Flask, today: date, **kwargs: Any) -> RunReport:
    """One letters run on ``today``, committing per chunk like the command and the scheduler."""
    with app.app_context():
        report = _run_letters(
            db.session, today, settings=settings(app), commit=db.session.commit, **kwargs
        )
        db.session.commit()
        return report


# --------------------------------------------------------------------------- generated extracts

FIRST_NAMES = ["Åsa", "Örjan", "Märta", "Björn", "Anna", "Omar", "Fatima", "Lars", "Eva", "Karl"]
LAST_NAMES = ["Öberg", "Åkesson", "Ström", "Hassan", "Lindqvist", "Nyström", "Berg", "Ali"]
STREETS = ["Storgatan", "Kyrkogatan", "Ängsvägen", "Björkgränd", "Järnvägsgatan", "Sågvägen"]
TOWNS = [("774 30", "AVESTA"), ("774 40", "KRYLBO"), ("774 60", "FORS"), ("774 70", "HORNDAL")]


def personal_number(born: date, serial: int) -> str:
    """A valid personal identity number (Luhn check digit) ``YYYYMMDD-NNNC`` for ``born``."""
    if not 0 < serial < 1000:
        raise ValueError("serial must be 1-999")
    head = f"{born:%y%m%d}{serial:03d}"
    check = next(d for d in range(10) if luhn_valid(f"{head}{d}"))
    return f"{born:%Y%m%d}-{serial:03d}{check}"


def generate_extract(
    households: int,
    *,
    today: date,
    seed: int = 7,
    oldest_move_days: int = 440,
    newest_move_days: int = 0,
    encoding: str = "utf-8-sig",
) -> bytes:
    """A register extract with ``households`` households, each at its own address.

    Move-in dates lie between ``oldest_move_days`` and ``newest_move_days`` days before
    ``today`` (the default: within the letters' 15 months, so every household has a stage due).
    Households have one or two adults and sometimes children; names have å, ä and ö.
    """
    rng = random.Random(seed)
    lines = [HEADER]
    serials: dict[date, int] = {}
    for index in range(households):
        moved_in = today - timedelta(days=rng.randint(newest_move_days, oldest_move_days))
        postcode, town = TOWNS[index % len(TOWNS)]
        street = f"{STREETS[index % len(STREETS)]} {index + 1}"
        last = rng.choice(LAST_NAMES)
        adults = 1 + (rng.random() < 0.5)
        children = rng.choice([0, 0, 0, 1, 2])
        ages = [rng.randint(19, 85) for _ in range(adults)] + [
            rng.randint(0, 16) for _ in range(children)
        ]
        for age in ages:
            born = date(today.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
            # Unique per birth date, so no two generated people share a number.
            serial = serials[born] = serials.get(born, 0) + 1
            lines.append(
                ";".join(
                    [
                        personal_number(born, serial),
                        rng.choice(FIRST_NAMES),
                        last,
                        "",
                        street,
                        postcode,
                        town,
                        moved_in.isoformat(),
                        "Uppsala",
                    ]
                )
            )
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
