"""A welcome letter to several adults says "ni" (and er, ert, era), on paper and by email; a
letter to one person says "du"."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

import sqlalchemy as sa
from flask import Flask
from pypdf import PdfReader

from avestavard.extensions import db
from avestavard.models import Newcomer, OutboxMessage
from avestavard.models.letters import Letter, LetterBatch, LetterChannel
from tests.integration.letters_support import HEADER, import_bytes, personal_number, run

TODAY = date(2026, 11, 28)
MOVED_IN = "2026-11-20"
SINGULAR = re.compile(r"\b(?:du|dig|din|ditt|dina)\b", re.IGNORECASE)


def _extract() -> bytes:
    rows = [
        (personal_number(date(1985, 4, 2), 11), "Anna", "Berg", "Storgatan 1"),
        (personal_number(date(1984, 9, 9), 12), "Jan", "Berg", "Storgatan 1"),
        (personal_number(date(1986, 1, 5), 13), "Eva", "Ström", "Kyrkogatan 2"),
        (personal_number(date(1983, 6, 6), 14), "Lars", "Nyström", "Sågvägen 3"),
        (personal_number(date(1987, 7, 7), 15), "Märta", "Nyström", "Sågvägen 3"),
    ]
    lines = [HEADER] + [
        f"{pnr};{first};{last};;{street};774 30;AVESTA;{MOVED_IN};Falun"
        for pnr, first, last, street in rows
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_letter_to_two_adults_says_ni_on_paper_and_by_email(app: Flask) -> None:
    with app.app_context():
        db.session.add(
            Newcomer(
                name="Lars Nyström",
                email="lars.nystrom@example.org",
                street_address="Sågvägen 3",
                letters_by_email=True,
                preferred_language="sv",
            )
        )
        db.session.commit()
    import_bytes(app, _extract(), today=TODAY)
    report = run(app, TODAY)
    assert report.by_channel == {"email": 1, "print": 2}

    with app.app_context():
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        rows = [line.split(";") for line in (batch.csv or b"").decode("utf-8-sig").splitlines()]
        pages = {
            row[0]: page.extract_text()
            for row, page in zip(rows[1:], PdfReader(BytesIO(batch.pdf or b"")).pages, strict=True)
        }
        email_letter = db.session.scalars(
            sa.select(Letter).where(Letter.channel == LetterChannel.EMAIL)
        ).one()
        message = db.session.get(OutboxMessage, email_letter.outbox_message_id)
        assert message is not None
        email_text, email_html = message.body_text, message.body_html or ""

    # PDF text runs may break lines anywhere: compare with whitespace collapsed.
    couple = " ".join(pages["Anna och Jan Berg"].split())
    single = " ".join(pages["Eva Ström"].split())
    assert "Vi hoppas att ni ska trivas här" in couple
    assert "Vill ni lära känna någon som bor här?" in couple
    assert "Anmäl er på" in couple
    assert not SINGULAR.search(couple), SINGULAR.findall(couple)
    assert "Vi hoppas att du ska trivas här" in single
    assert "Anmäl dig på" in single

    assert "Hej Lars och Märta Nyström!" in email_text
    assert "Vi hoppas att ni ska trivas här" in email_text
    assert "Vill ni inte få fler brev från oss?" in email_text  # the unsubscribe line too
    assert not SINGULAR.search(email_text), SINGULAR.findall(email_text)
    assert "Vi hoppas att ni ska trivas här" in email_html
