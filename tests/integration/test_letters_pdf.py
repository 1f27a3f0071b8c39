"""The print batch: one page per letter, Swedish characters intact, Arabic right to left."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from avestavard.extensions import db
from avestavard.models import Newcomer
from avestavard.models.letters import LetterBatch
from tests.integration.letters_support import SAMPLE_TODAY, import_sample, run

ARABIC = re.compile(r"[\u0600-\u06ff]")


def _batch(app: Flask) -> tuple[bytes, list[list[str]]]:
    with app.app_context():
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        # the batch records what will be printed: one page per letter
        assert batch.page_count == batch.letter_count
        rows = [line.split(";") for line in (batch.csv or b"").decode("utf-8-sig").splitlines()]
        return batch.pdf or b"", rows


def _lines_with_x(page: Any) -> list[tuple[float, str]]:
    """(x where the text run starts, text) for each run on the page."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, _cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text.strip():
            runs.append((float(tm[4]), text))

    page.extract_text(visitor_text=visit)
    return runs


def test_one_page_per_letter_with_swedish_and_arabic(app: Flask) -> None:
    # A registered household that chose Arabic but not email: its letter is printed in Arabic.
    with app.app_context():
        db.session.add(
            Newcomer(name="Ahmad Khalil", street_address="Furustigen 8", preferred_language="ar")
        )
        db.session.commit()
    import_sample(app)
    report = run(app, SAMPLE_TODAY)
    assert report.by_channel["print"] == 115
    pdf, rows = _batch(app)
    header, rows = rows[0], rows[1:]
    assert header[:3] == ["Namn", "c/o", "Utdelningsadress"]
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == len(rows) == 115

    # Page i is the letter of CSV row i: its addressee and street, characters intact.
    swedish_names = 0
    for page, row in zip(reader.pages, rows, strict=True):
        text = page.extract_text()
        name, street = row[0], row[2]
        assert street in text, (street, text[:300])
        assert name.split(" och ")[0] in text
        swedish_names += bool(re.search("[åäöÅÄÖ]", name + street))
    assert swedish_names > 20  # Ängsgatan, Söderholm, Åkervägen ... survived as such

    swedish_page = next(
        p.extract_text() for p, row in zip(reader.pages, rows, strict=True) if row[6] == "svenska"
    )
    assert "Välkommen" in swedish_page or "välkommen" in swedish_page
    # Households without a registered language get a short line in Arabic too.
    assert ARABIC.search(swedish_page)

    arabic_index = next(i for i, row in enumerate(rows) if row[6] == "arabiska")
    assert rows[arabic_index][2] == "Furustigen 8"
    arabic_page = reader.pages[arabic_index]
    text = arabic_page.extract_text()
    assert "أفيستا" in text  # "Avesta" in Arabic script, as extracted from the PDF
    # Right to left: the recipients are "Fatima و Ahmad Khalil" in reading order; laid out
    # right to left, "Ahmad Khalil" stands to the left of "Fatima" on the page, so it comes
    # first in the PDF's left-to-right text.
    name_line = next(line for line in text.splitlines() if "Fatima" in line and ARABIC.search(line))
    assert name_line.index("Ahmad Khalil") < name_line.index("Fatima")
    # and its lines are right-aligned: short Arabic lines start far right of the left margin,
    # where every line of a Swedish letter's body starts.
    arabic_starts = [x for x, run_text in _lines_with_x(arabic_page) if ARABIC.search(run_text)]
    assert max(arabic_starts) > 250
    swedish_index = next(i for i, row in enumerate(rows) if row[6] == "svenska")
    body_starts = {
        round(x)
        for x, run_text in _lines_with_x(reader.pages[swedish_index])
        if not ARABIC.search(run_text) and len(run_text) > 40
    }
    assert min(body_starts) < 100
