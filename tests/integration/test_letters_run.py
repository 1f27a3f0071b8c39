"""The letters run with a frozen clock over the sample extract: what is due when, exactly once."""

from __future__ import annotations

import json
import time as clock
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from avestavard.extensions import db
from avestavard.models import Newcomer, OutboxMessage
from avestavard.models.letters import Letter, LetterBatch, LetterChannel, LetterHousehold
from avestavard.services.letters import plan_due_letters
from tests.integration.letters_support import (
    HEADER,
    SAMPLE_TODAY,
    import_bytes,
    import_sample,
    personal_number,
    run,
    settings,
)


@pytest.fixture
def app_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"LETTER_BATCH_DIR": str(tmp_path / "batches")}


def _household_id(app: Flask, street: str) -> int:
    with app.app_context():
        return db.session.scalars(
            sa.select(LetterHousehold.id).where(LetterHousehold.street == street)
        ).one()


def _due_stage_of(app: Flask, household_id: int, today: date) -> int | None:
    with app.app_context():
        due = plan_due_letters(db.session, today, settings(app).config)
    stages = [d.stage for d in due if d.household_id == household_id]
    assert len(stages) <= 1, "never two letters for one household in one run"
    return stages[0] if stages else None


# Checked by hand from the rule (stage k due on move-in + offset calendar months, a day that
# does not exist becomes the month's last day, sendable until the next stage is due, the last
# stage for 3 months), not with the code under test:
HAND_CHECKED = [
    # Villagränd 14, Fors, moved in 2025-11-30. 30 Nov + 3 months = 28 Feb (no 30 Feb), so
    # stage 2 starts 2026-02-28; stage 3 starts 2026-11-30 and may be sent until 2027-02-28.
    ("Villagränd 14", date(2026, 2, 27), 1),
    ("Villagränd 14", date(2026, 2, 28), 2),
    ("Villagränd 14", date(2026, 11, 28), 2),
    ("Villagränd 14", date(2026, 11, 30), 3),
    ("Villagränd 14", date(2027, 2, 27), 3),
    ("Villagränd 14", date(2027, 2, 28), None),
    # Parkvägen 8, Avesta, moved in on the extract's day 2026-11-28: nothing the day before.
    ("Parkvägen 8", date(2026, 11, 27), None),
    ("Parkvägen 8", date(2026, 11, 28), 1),
    # Stortorget 298, Fors, moved in 2025-08-10: stage 3 ran 2026-08-10 .. 2026-11-09, so on
    # 2026-11-28 nothing (never a stale letter).
    ("Stortorget 298", date(2026, 11, 28), None),
    ("Stortorget 298", date(2026, 11, 9), 3),
    # Parkgatan 169, Avesta, moved in 2025-09-04 and first seen now: only stage 3 (its window
    # 2026-09-04 .. 2026-12-03), never stages 1 or 2 late.
    ("Parkgatan 169", date(2026, 11, 28), 3),
    ("Parkgatan 169", date(2026, 12, 4), None),
    # Gengatan 8, Avesta, moved in 2026-08-30: stage 2 from 2026-11-30.
    ("Gengatan 8", date(2026, 11, 29), 1),
    ("Gengatan 8", date(2026, 11, 30), 2),
]


def test_hand_checked_households_are_due_on_the_right_days(app: Flask) -> None:
    import_sample(app)
    for street, day, stage in HAND_CHECKED:
        assert _due_stage_of(app, _household_id(app, street), day) == stage, (street, day)


def test_run_command_json_second_run_creates_nothing(runner: Any, app: Flask) -> None:
    import_sample(app)
    result = runner.invoke(args=["letters", "run", "--today", "2026-11-28", "--json"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)
    assert set(first) == {"today", "due", "by_age_group", "by_channel", "created", "batch_pdf"}
    assert first["today"] == "2026-11-28"
    # 120 households: 5 are past their last window (moved in before 2025-09-01).
    assert first["due"] == {"1": 17, "2": 71, "3": 27}
    assert sum(first["by_age_group"].values()) == 115
    assert set(first["by_age_group"]) == {"family", "young", "adult", "senior"}
    assert first["by_channel"] == {"email": 0, "print": 115}
    assert first["created"] == 115
    pdf_path = Path(first["batch_pdf"])
    assert pdf_path.exists()
    assert len(PdfReader(BytesIO(pdf_path.read_bytes())).pages) == 115
    assert pdf_path.with_suffix(".csv").exists()

    result = runner.invoke(args=["letters", "run", "--today", "2026-11-28", "--json"])
    second = json.loads(result.output)
    assert second["created"] == 0
    assert second["due"] == {"1": 0, "2": 0, "3": 0}
    assert second["batch_pdf"] is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 115
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterBatch)) == 1
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        assert batch.pdf == pdf_path.read_bytes()


def test_dry_run_creates_nothing(runner: Any, app: Flask) -> None:
    import_sample(app)
    result = runner.invoke(args=["letters", "run", "--today", "2026-11-28", "--dry-run", "--json"])
    report = json.loads(result.output)
    assert report["due"] == {"1": 17, "2": 71, "3": 27}
    assert report["created"] == 0 and report["batch_pdf"] is None
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0


def test_later_days_send_the_next_stage_once(app: Flask) -> None:
    import_sample(app)
    assert run(app, date(2026, 11, 28)).created == 115
    assert run(app, date(2026, 11, 29)).created == 0
    on_30th = run(app, date(2026, 11, 30))
    villagrand = _household_id(app, "Villagränd 14")
    gengatan = _household_id(app, "Gengatan 8")
    with app.app_context():
        letters = db.session.execute(sa.select(Letter.household_id, Letter.stage, Letter.run_date))
        by_household: dict[int, list[tuple[int, date]]] = {}
        for household_id, stage, run_date in letters:
            by_household.setdefault(household_id, []).append((stage, run_date))
    assert sorted(by_household[villagrand]) == [(2, date(2026, 11, 28)), (3, date(2026, 11, 30))]
    assert sorted(by_household[gengatan]) == [(1, date(2026, 11, 28)), (2, date(2026, 11, 30))]
    assert on_30th.created >= 2
    # never two letters to one household on one day, never one stage twice
    for sent in by_household.values():
        assert len({run_date for _, run_date in sent}) == len(sent)
        assert len({stage for stage, _ in sent}) == len(sent)
    assert run(app, date(2026, 11, 30)).created == 0


def test_one_letter_per_household_and_stage_is_a_database_constraint(app: Flask) -> None:
    import_sample(app)
    run(app, SAMPLE_TODAY)
    with app.app_context():
        letter = db.session.scalars(sa.select(Letter)).first()
        assert letter is not None
        db.session.add(
            Letter(
                household_id=letter.household_id,
                stage=letter.stage,
                age_group=letter.age_group,
                language="sv",
                channel=LetterChannel.PRINT,
                run_date=SAMPLE_TODAY,
            )
        )
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


def _extract(*rows: tuple[str, str, str, str, str]) -> bytes:
    """Rows of (personal number, first, last, street, moved in) in Avesta."""
    lines = [HEADER] + [
        f"{pnr};{first};{last};;{street};774 30;AVESTA;{moved_in};Falun"
        for pnr, first, last, street, moved_in in rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_age_group_is_taken_on_the_run_date(app: Flask) -> None:
    # A parent of 40 and a child who turns 18 on 2026-12-01: a family at move-in, but by the
    # second letter (3 months later) an adult household, and the letter goes to both of them.
    import_bytes(
        app,
        _extract(
            (personal_number(date(1986, 5, 5), 11), "Maria", "Öst", "Sågvägen 1", "2026-11-20"),
            (personal_number(date(2008, 12, 1), 12), "Alva", "Öst", "Sågvägen 1", "2026-11-20"),
        ),
    )
    run(app, date(2026, 11, 28))
    run(app, date(2027, 2, 20))
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter).order_by(Letter.stage)).all()
        assert [(x.stage, x.age_group) for x in letters] == [(1, "family"), (2, "adult")]
        batches = db.session.scalars(sa.select(LetterBatch).order_by(LetterBatch.id)).all()
        csv_text = b"".join(b.csv or b"" for b in batches).decode("utf-8-sig")
    assert "Maria Öst;" in csv_text  # the first letter: to the parent only
    assert "Maria och Alva Öst;" in csv_text  # the second: to both adults


def test_household_of_children_only_gets_no_letter(app: Flask) -> None:
    import_bytes(
        app,
        _extract((personal_number(date(2010, 3, 3), 5), "Ebba", "Ung", "Sågvägen 9", "2026-11-20")),
    )
    report = run(app, SAMPLE_TODAY)
    assert report.created == 0 and report.due == {"1": 0, "2": 0, "3": 0}


def test_email_letters_with_one_click_unsubscribe(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.add_all(
            [
                # Linked by name and street; yes to email; Arabic.
                Newcomer(
                    name="Fatima Khalil",
                    email="fatima@example.org",
                    street_address="Furustigen 8",
                    letters_by_email=True,
                    preferred_language="ar",
                ),
                # Linked, has an email but said no to letters by email: print, in English.
                Newcomer(
                    name="Reza Ahmadi",
                    email="reza@example.org",
                    street_address="Trädgårdstorget 5",
                    letters_by_email=False,
                    preferred_language="en",
                ),
            ]
        )
        db.session.commit()
    import_sample(app)
    report = run(app, SAMPLE_TODAY)
    assert report.by_channel == {"email": 1, "print": 114}
    khalil = _household_id(app, "Furustigen 8")
    ahmadi = _household_id(app, "Trädgårdstorget 5")
    with app.app_context():
        letter = db.session.scalars(sa.select(Letter).where(Letter.household_id == khalil)).one()
        assert (letter.channel, letter.language, letter.stage) == (LetterChannel.EMAIL, "ar", 3)
        assert letter.batch_id is None
        message = db.session.get(OutboxMessage, letter.outbox_message_id)
        assert message is not None
        assert message.to_address == "fatima@example.org"
        assert message.idempotency_key == f"letter:{khalil}:3"
        assert "أفيستا" in message.subject
        link = message.headers["List-Unsubscribe"].strip("<>")
        assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in message.body_text
        english = db.session.scalars(sa.select(Letter).where(Letter.household_id == ahmadi)).one()
        assert (english.channel, english.language) == (LetterChannel.PRINT, "en")

    path = link.removeprefix(app.config["PUBLIC_BASE_URL"])
    assert path.startswith("/unsubscribe/") and path.endswith("?lang=ar")
    page = client.get(path)  # no login
    assert page.status_code == 200
    assert 'dir="rtl"' in page.get_data(as_text=True)
    assert "إيقاف رسائل الترحيب" in page.get_data(as_text=True)  # "Stop the welcome letters"
    with app.app_context():
        # a GET (a mail scanner opening the link) changes nothing
        assert db.session.get(LetterHousehold, khalil).unsubscribed_at is None
    # What a mail program does for RFC 8058: a POST with this body, no cookie, no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with app.app_context():
        household = db.session.get(LetterHousehold, khalil)
        assert household.unsubscribed_at is not None
        assert household.newcomer.letters_by_email is False
    # Stage 3 was the last one here; an unsubscribed household is left out of any later run.
    with app.app_context():
        due = plan_due_letters(db.session, date(2026, 12, 1), settings(app).config)
    assert khalil not in {d.household_id for d in due}
    assert client.get("/unsubscribe/forged-token").status_code == 404


def test_households_are_erased_after_their_last_window(app: Flask) -> None:
    from avestavard.services.letters import purge_finished_households

    import_sample(app)
    run(app, SAMPLE_TODAY)
    config = settings(app).config
    with app.app_context():
        # Stortorget 298 (moved in 2025-08-10): its last window closed 2026-11-10; it is kept
        # for one more month, then erased.
        assert purge_finished_households(db.session, date(2026, 12, 10), config).households == 0
        assert purge_finished_households(db.session, date(2026, 12, 11), config).households == 1
        db.session.commit()
        streets = set(db.session.scalars(sa.select(LetterHousehold.street)))
        assert "Stortorget 298" not in streets and "Villagränd 14" in streets
        # A year and a half later nothing is left, and the batch keeps only its counts.
        later = purge_finished_households(db.session, date(2028, 6, 1), config)
        db.session.commit()
        assert later.households == 119 and later.batch_files == 1
        for model in (LetterHousehold, Letter):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        assert batch.pdf is None and batch.letter_count == 115
        again = purge_finished_households(db.session, date(2028, 6, 1), config)
        assert (again.households, again.batch_files) == (0, 0)


def test_email_letter_arrives_over_smtp_once_with_unsubscribe_headers(
    app: Flask, smtp_server: Any
) -> None:
    from avestavard.services.mail_sender import send_due_mail

    with app.app_context():
        db.session.add(
            Newcomer(
                name="Jan Pettersson",
                email="jan@example.org",
                street_address="Villagränd 14",
                letters_by_email=True,
                preferred_language="sv",
            )
        )
        db.session.commit()
    import_sample(app)
    run(app, SAMPLE_TODAY)
    run(app, SAMPLE_TODAY)  # a second run queues nothing more
    config = {**app.config, "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port}
    with app.app_context():
        send_due_mail(db.session, datetime.now(UTC), config=config)
        send_due_mail(db.session, datetime.now(UTC), config=config)
    messages = smtp_server.wait_for(1)
    clock.sleep(0.2)
    assert len(messages) == 1
    message = messages[0]
    assert message["To"] == "jan@example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip().strip("<>")  # long: folded onto its own line
    assert link.startswith(f"{app.config['PUBLIC_BASE_URL']}/unsubscribe/")
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and link in body.get_content()
    assert "Jan och Anna Pettersson" in body.get_content()  # the adults of the household
