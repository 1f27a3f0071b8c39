"""A run that dies in the middle and is started again sends every due letter exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from avestavard.extensions import db
from avestavard.models import Newcomer, OutboxMessage
from avestavard.models.letters import Letter, LetterBatch, LetterChannel, LetterHousehold
from avestavard.services.letters import plan_due_letters, run_letters
from tests.integration.letters_support import (
    generate_extract,
    import_bytes,
    import_sample,
    settings,
)
from tests.paths import REPO_ROOT

TODAY = date(2026, 11, 28)


class Crash(RuntimeError):
    """Stands for the process dying right after a commit."""


def _crashing_commit(app: Flask, after: int) -> Any:
    calls = {"n": 0}

    def commit() -> None:
        db.session.commit()
        calls["n"] += 1
        if calls["n"] == after:
            raise Crash(f"died after commit {after}")

    return commit


def _due_pairs(app: Flask, today: date) -> set[tuple[int, int]]:
    with app.app_context():
        return {
            (d.household_id, d.stage)
            for d in plan_due_letters(db.session, today, settings(app).config)
        }


def _assert_exactly_once(app: Flask, due: set[tuple[int, int]]) -> None:
    """Every due letter exists once; each print letter is on one page of one finished batch."""
    with app.app_context():
        letters = db.session.scalars(sa.select(Letter)).all()
        assert sorted((x.household_id, x.stage) for x in letters) == sorted(due)
        printed = [x for x in letters if x.channel is LetterChannel.PRINT]
        assert all(x.batch_id is not None for x in printed)
        batches = db.session.scalars(sa.select(LetterBatch)).all()
        assert all(b.completed_at is not None for b in batches)
        assert sum(b.letter_count for b in batches) == len(printed)
        pages = sum(len(PdfReader(BytesIO(b.pdf or b"")).pages) for b in batches)
        assert pages == len(printed)
        rows = sum(len((b.csv or b"").decode("utf-8-sig").splitlines()) - 1 for b in batches)
        assert rows == len(printed)
        emails = [x for x in letters if x.channel is LetterChannel.EMAIL]
        keys = db.session.scalars(sa.select(OutboxMessage.idempotency_key)).all()
        assert sorted(keys) == sorted(f"letter:{x.household_id}:{x.stage}" for x in emails)


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_crash_between_commits_then_rerun_sends_each_letter_once(
    app: Flask, crash_after: int
) -> None:
    # Two email households, so the outbox is part of what must not be doubled.
    with app.app_context():
        db.session.add_all(
            [
                Newcomer(
                    name="Fatima Khalil",
                    email="fatima@example.org",
                    street_address="Furustigen 8",
                    letters_by_email=True,
                ),
                Newcomer(
                    name="Jan Pettersson",
                    email="jan@example.org",
                    street_address="Villagränd 14",
                    letters_by_email=True,
                ),
            ]
        )
        db.session.commit()
    import_sample(app)
    due = _due_pairs(app, TODAY)
    assert len(due) == 115
    # Commits: 1 after linking newcomers, then one per chunk of 40 households (3 chunks),
    # then the batch claim, then the finished batch. Crash after the link, mid-way through the
    # letters, or after the first chunks.
    with app.app_context(), pytest.raises(Crash):
        run_letters(
            db.session,
            TODAY,
            settings=settings(app),
            commit=_crashing_commit(app, crash_after),
            chunk_size=40,
        )
    with app.app_context():
        db.session.rollback()
        made = db.session.scalar(sa.select(sa.func.count()).select_from(Letter))
    assert made < 115  # the crash really left work undone

    with app.app_context():
        report = run_letters(db.session, TODAY, settings=settings(app), commit=db.session.commit)
        db.session.commit()
    assert report.created == 115 - made
    _assert_exactly_once(app, due)


def test_crash_after_the_batch_claim_is_finished_by_the_next_run(app: Flask) -> None:
    import_sample(app)
    due = _due_pairs(app, TODAY)
    # 1 link + 1 chunk (all 115) + claim: die right after the claim was committed.
    with app.app_context(), pytest.raises(Crash):
        run_letters(db.session, TODAY, settings=settings(app), commit=_crashing_commit(app, 3))
    with app.app_context():
        db.session.rollback()
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        assert batch.completed_at is None and batch.letter_count == 115
    with app.app_context():
        report = run_letters(db.session, TODAY, settings=settings(app), commit=db.session.commit)
        db.session.commit()
    assert report.created == 0
    assert report.batch_ids == [batch.id]
    _assert_exactly_once(app, due)


@pytest.mark.slow
def test_killed_process_then_rerun_sends_each_letter_once(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    # Enough households that the run is still creating letters when it is killed.
    import_bytes(app, generate_extract(700, today=TODAY, seed=11), today=TODAY)
    due = _due_pairs(app, TODAY)
    assert len(due) == 700
    env = {
        **os.environ,
        "AVESTAVARD_CONFIG": "testing",
        "AVESTAVARD_DATABASE_URL": database_url,
        "AVESTAVARD_LETTER_BATCH_DIR": str(tmp_path / "batches"),
    }
    command = [
        str(Path(sys.executable).with_name("avestavard")),
        "letters",
        "run",
        "--today",
        TODAY.isoformat(),
        "--json",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL)
    engine = sa.create_engine(database_url)
    try:
        deadline = time.monotonic() + 120
        made = 0
        while time.monotonic() < deadline and process.poll() is None:
            with engine.connect() as conn:
                made = conn.execute(sa.text("SELECT count(*) FROM letters")).scalar_one()
            if made:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        with engine.connect() as conn:
            made = conn.execute(sa.text("SELECT count(*) FROM letters")).scalar_one()
            finished = conn.execute(
                sa.text("SELECT count(*) FROM letter_batches WHERE completed_at IS NOT NULL")
            ).scalar_one()
    finally:
        if process.poll() is None:
            process.kill()
        engine.dispose()
    assert made > 0 and (made < 700 or finished == 0), "killed in the middle of the run"

    rerun = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode()
    _assert_exactly_once(app, due)
    with app.app_context():
        streets = db.session.scalar(sa.select(sa.func.count()).select_from(LetterHousehold))
    assert streets == 700


def test_two_runs_at_once_create_each_letter_once(app: Flask) -> None:
    """Two manual runs at the same moment (no scheduler guard): the database keeps them apart."""
    import_sample(app)
    due = _due_pairs(app, TODAY)
    start = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                start.wait()
                reports.append(
                    run_letters(
                        db.session,
                        TODAY,
                        settings=settings(app),
                        commit=db.session.commit,
                        chunk_size=10,
                    )
                )
                db.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert sum(report.created for report in reports) == 115
    _assert_exactly_once(app, due)
