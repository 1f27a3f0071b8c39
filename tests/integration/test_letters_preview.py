"""The letter preview: a made-up sample household by default (no real person, nothing logged),
any real household found by search (logged as a view of it), and no 500 on odd input; the
letters pages log downloads and 404 unknown texts and households."""

from __future__ import annotations

import html
import re
from datetime import date

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from avestavard.extensions import db
from avestavard.models import AuditEvent
from avestavard.models.letters import LetterHousehold
from tests.integration.letters_support import HEADER, import_bytes, personal_number, run

TODAY = date(2026, 11, 28)


def _import(app: Flask) -> int:
    rows = [
        (personal_number(date(1985, 4, 2), 21), "Anna", "Berg", "Storgatan 1"),
        (personal_number(date(1984, 9, 9), 22), "Jan", "Berg", "Storgatan 1"),
        (personal_number(date(2019, 1, 5), 23), "Lisa", "Berg", "Storgatan 1"),
        (personal_number(date(1950, 6, 6), 24), "Gösta", "Ek", "Kyrkogatan 2"),
    ]
    lines = [HEADER] + [
        f"{pnr};{first};{last};;{street};774 30;AVESTA;2026-11-20;Falun"
        for pnr, first, last, street in rows
    ]
    import_bytes(app, ("\n".join(lines) + "\n").encode("utf-8"), today=TODAY)
    with app.app_context():
        return db.session.scalars(
            sa.select(LetterHousehold.id).where(LetterHousehold.street == "Storgatan 1")
        ).one()


def _events(app: Flask, action: str) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEvent.subject_type, AuditEvent.subject_id).where(
                AuditEvent.action == action
            )
        ).all()
        return [(kind, subject) for kind, subject in rows]


def _frame(page: str) -> str:
    found = re.search(r'<iframe[^>]+src="([^"]+)"', page)
    assert found
    return html.unescape(found.group(1))


def test_the_default_preview_shows_a_sample_household(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    _import(app)
    response = coordinator_client.get("/coordinator/letters/preview")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Anna och Erik Exempel" in page and "ingen riktig person visas" in page
    assert "Berg" not in page and "Storgatan" not in page and "Gösta" not in page
    assert "Vi hoppas att ni ska trivas här" in page  # two sample adults: "ni"
    document = coordinator_client.get(_frame(page)).get_data(as_text=True)
    assert "Kungsgatan 1" in document and "Berg" not in document
    one = html.unescape(
        coordinator_client.get("/coordinator/letters/preview?people=1").get_data(as_text=True)
    )
    assert "Anna Exempel" in one and "Vi hoppas att du ska trivas här" in one
    assert _events(app, "view") == []  # no real person seen, nothing to log


def test_a_real_household_is_found_by_search_and_its_view_logged(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    household_id = _import(app)
    found = html.unescape(
        coordinator_client.get(
            "/coordinator/letters/preview?stage=1&language=en&q=storgatan"
        ).get_data(as_text=True)
    )
    assert "Anna Berg, Jan Berg, Lisa Berg" in found
    assert _events(app, "search") == [("households", None)]
    assert _events(app, "view") == []
    link = re.search(r'<a href="([^"]*household=\d+[^"]*)">Storgatan 1', found)
    assert link and "Gösta" not in found

    response = coordinator_client.get(html.unescape(link.group(1)))
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Brevet till ett riktigt hushåll: Anna och Jan Berg, Storgatan 1, Avesta." in page
    # The household's own age group (a child lives there) is chosen and shown.
    assert re.search(r'<option selected value="family">', page)
    assert "Dear Anna and Jan Berg" in page
    assert _events(app, "view") == [("household", household_id)]
    document = coordinator_client.get(_frame(page)).get_data(as_text=True)
    assert "Storgatan 1" in document
    assert _events(app, "view") == [("household", household_id)] * 2


def test_odd_preview_input_is_answered_without_an_error_page(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    household_id = _import(app)
    missing = coordinator_client.get(f"/coordinator/letters/preview?household={household_id + 99}")
    assert missing.status_code == 404
    assert coordinator_client.get("/coordinator/letters/preview?household=abc").status_code == 404
    for query in ("stage=99", "age_group=nobody", "language=xx", "people=7"):
        response = coordinator_client.get(f"/coordinator/letters/preview?{query}")
        assert response.status_code == 422, query
        page = html.unescape(response.get_data(as_text=True))
        assert 'class="error"' in page and "Anna och Erik Exempel" in page, query
    document = coordinator_client.get("/coordinator/letters/preview/document?stage=abc")
    assert document.status_code == 400
    forged = coordinator_client.get("/coordinator/letters/preview/document?draft=forged")
    assert forged.status_code == 400


def test_unknown_texts_and_households_are_404_and_downloads_logged(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    household_id = _import(app)
    for url in (
        "/coordinator/letters/texts/9/adult/sv",
        "/coordinator/letters/texts/1/nobody/sv",
        "/coordinator/letters/texts/1/adult/xx",
        f"/coordinator/letters/households/{household_id + 99}",
    ):
        assert coordinator_client.get(url).status_code == 404, url
    assert (
        coordinator_client.get(f"/coordinator/letters/households/{household_id}").status_code == 200
    )
    assert ("household", household_id) in _events(app, "view")

    run(app, TODAY)
    with app.app_context():
        batch_id = db.session.scalars(sa.text("SELECT id FROM letter_batches")).one()
    assert coordinator_client.get(f"/coordinator/letters/batches/{batch_id}/csv").status_code == 200
    assert _events(app, "download_letter_batch") == [("letter_batch", batch_id)]
