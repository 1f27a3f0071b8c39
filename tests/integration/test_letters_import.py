"""Importing the population-register extract: households, re-imports, no identity numbers kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from avestavard.extensions import db
from avestavard.imports.inmovers_csv import age_on
from avestavard.models import Newcomer
from avestavard.models.letters import LetterHousehold, Resident
from tests.integration.letters_support import (
    HEADER,
    SAMPLE_CSV,
    SAMPLE_TODAY,
    expected,
    generate_extract,
    import_bytes,
    import_sample,
)


def _cli_json(runner: Any, *args: str) -> dict[str, Any]:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_import_command_reports_the_sample_as_expected(runner: Any, app: Flask) -> None:
    facts = expected()
    report = _cli_json(
        runner, "import-inmovers", str(SAMPLE_CSV), "--json", "--today", SAMPLE_TODAY.isoformat()
    )
    assert set(report) == {"rows", "persons_imported", "households", "errors", "skipped_existing"}
    assert report["rows"] == facts["rows"]
    assert report["persons_imported"] == facts["persons_imported"]
    assert report["households"] == len(facts["households"])
    assert report["skipped_existing"] == 0
    assert [e["line"] for e in report["errors"]] == [b["line"] for b in facts["bad_rows"]]
    assert all(e["message"] for e in report["errors"])

    with app.app_context():
        households = db.session.scalars(sa.select(LetterHousehold)).all()
        stored = {
            (h.moved_in.isoformat(), h.street): [
                age_on(r.birth_date, SAMPLE_TODAY) for r in h.residents
            ]
            for h in households
        }
    broken = set(facts["households_with_a_broken_row"])
    for household in facts["households"]:
        street = household["address"].split(",")[0]
        ages = stored.pop((household["moved_in"], street))
        adults = [age for age in ages if age >= 18]
        members = household["adults"] + household["children"]
        if household["household"] in broken:
            # The person on the broken row is reported, not imported.
            assert len(ages) == members - 1, household
            continue
        assert len(adults) == household["adults"], household
        assert len(ages) - len(adults) == household["children"], household
        assert max(adults, default=None) == household["oldest_adult_age"], household
    assert stored == {}


def test_reimport_and_overlapping_file_create_nothing_twice(
    runner: Any, app: Flask, tmp_path: Path
) -> None:
    first = _cli_json(runner, "import-inmovers", str(SAMPLE_CSV), "--json", "--today", "2026-11-28")
    again = _cli_json(runner, "import-inmovers", str(SAMPLE_CSV), "--json", "--today", "2026-11-28")
    assert again["persons_imported"] == 0
    assert again["households"] == 0
    assert again["skipped_existing"] == first["persons_imported"] == 250

    # A later extract overlapping the first: half of its rows again (one with its street
    # written in capitals), a new person in an existing household, and a new household.
    lines = SAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()
    kept = lines[1:80]
    kept[0] = kept[0].replace("Villagränd 14", "VILLAGRÄND  14")
    existing_row = lines[1].split(";")  # Jan Pettersson, Villagränd 14, moved in 2025-11-30
    newborn = existing_row.copy()
    newborn[0], newborn[1] = "20260301-1236", "Lilly"
    fresh = "19800101-0027;Örjan;Ärlig;;Sågvägen 2;774 30;AVESTA;2026-11-20;Gävle"
    assert _luhn_ok(newborn[0]) and _luhn_ok(fresh.split(";")[0])
    later = "\n".join([HEADER, *kept, ";".join(newborn), fresh]) + "\n"
    path = tmp_path / "later-test.csv"
    path.write_text(later, encoding="utf-8")
    report = _cli_json(runner, "import-inmovers", str(path), "--json", "--today", "2026-11-28")
    good_kept = sum(1 for row in kept if row.split(";")[0] not in _bad_numbers())
    assert report["persons_imported"] == 2
    assert report["households"] == 1
    assert report["skipped_existing"] == good_kept

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 252
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterHousehold)) == 121
        pettersson = db.session.scalars(
            sa.select(LetterHousehold).where(LetterHousehold.street == "Villagränd 14")
        ).one()
        assert sorted(r.first_name for r in pettersson.residents) == ["Anna", "Jan", "Lilly"]


def _luhn_ok(number: str) -> bool:
    from avestavard.imports.inmovers_csv import luhn_valid

    digits = number.replace("-", "")[-10:]
    return luhn_valid(digits)


def _bad_numbers() -> set[str]:
    lines = SAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()
    return {lines[bad["line"] - 1].split(";")[0] for bad in expected()["bad_rows"]}


def test_dry_run_stores_nothing(runner: Any, app: Flask) -> None:
    report = _cli_json(
        runner, "import-inmovers", str(SAMPLE_CSV), "--dry-run", "--json", "--today", "2026-11-28"
    )
    assert report["persons_imported"] == 250
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterHousehold)) == 0


def test_windows_1252_file_is_read(app: Flask) -> None:
    data = generate_extract(5, today=SAMPLE_TODAY, encoding="cp1252")
    assert b"\xc5" in data or b"\xd6" in data or b"\xe4" in data  # Å, Ö, ä as single bytes
    report = import_bytes(app, data)
    assert report.households == 5
    assert not report.errors
    with app.app_context():
        names = {r.last_name for r in db.session.scalars(sa.select(Resident))}
    assert names & {"Öberg", "Åkesson", "Ström", "Nyström"}


def test_no_personal_identity_number_is_stored(app: Flask) -> None:
    import_sample(app)
    numbers = [
        line.split(";")[0]
        for line in SAMPLE_CSV.read_text(encoding="utf-8-sig").splitlines()[1:]
        if line
    ]
    with app.app_context(), db.engine.connect() as conn:
        dumped = []
        for table in ("households", "residents", "audit_events"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                dumped.append(" ".join(str(v) for v in row))
    text = "\n".join(dumped)
    for number in numbers:
        digits = number.replace("-", "")
        assert digits not in text and number not in text and digits[2:] not in text


def test_registered_newcomer_is_linked_when_name_and_street_agree(app: Flask) -> None:
    with app.app_context():
        db.session.add_all(
            [
                # Agrees with "Furustigen 8, 774 42 Karlbo" (Fatima and Ahmad Khalil).
                Newcomer(
                    name="Fatima Khalil",
                    email="fatima@example.org",
                    street_address="furustigen 8, 774 42 Karlbo",
                    letters_by_email=True,
                    preferred_language="ar",
                ),
                # Right name, wrong street: not linked.
                Newcomer(name="Reza Ahmadi", street_address="Storgatan 1"),
            ]
        )
        db.session.commit()
    report = import_sample(app)
    assert report.households_linked == 1
    with app.app_context():
        linked = db.session.scalars(
            sa.select(LetterHousehold).where(LetterHousehold.newcomer_id.is_not(None))
        ).all()
        assert [(h.street, h.newcomer.name, h.is_linked_by_hand) for h in linked] == [
            ("Furustigen 8", "Fatima Khalil", False)
        ]
