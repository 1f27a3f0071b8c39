"""The coordinators' letter pages: batches and downloads, preview, texts, upload, links by hand."""

from __future__ import annotations

import hashlib
import json
import re
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from avestavard.extensions import db
from avestavard.models import AuditEvent, Newcomer, PendingUpload
from avestavard.models.letters import LetterBatch, LetterHousehold, LetterTextOverride
from tests.conftest import csrf_token_from, login
from tests.integration.letters_support import SAMPLE_CSV, SAMPLE_TODAY, import_sample, run


@pytest.fixture
def app_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"LETTER_BATCH_DIR": str(tmp_path / "batches")}


def test_pages_need_a_coordinator(client: FlaskClient, make_user: Any) -> None:
    assert client.get("/coordinator/letters").status_code == 302  # to the log-in
    host = make_user("host")
    login(client, host.email)
    for page in ("", "/import", "/texts", "/preview", "/households"):
        path = f"/coordinator/letters{page}"
        assert client.get(path).status_code == 403


def test_batches_show_counts_and_downloads_are_byte_identical(
    coordinator_client: FlaskClient, runner: Any, app: Flask
) -> None:
    import_sample(app)
    result = runner.invoke(args=["letters", "run", "--today", "2026-11-28", "--json"])
    exported = Path(json.loads(result.output)["batch_pdf"])

    page = coordinator_client.get("/coordinator/letters")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "28 nov. 2026" in html
    for expected in ("Etapp 1: 17", "Etapp 2: 71", "Etapp 3: 27"):
        assert expected in html
    assert "Post: 115" in html and "E-post: 0" in html
    assert "Familj med barn: 37" in html
    english = coordinator_client.get("/coordinator/letters?lang=en").get_data(as_text=True)
    assert "Mailings per day" in english and "Family with children: 37" in english

    with app.app_context():
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        stored_pdf, stored_csv = batch.pdf, batch.csv
    pdf_url = f"/coordinator/letters/batches/{batch.id}/pdf"
    csv_url = f"/coordinator/letters/batches/{batch.id}/csv"
    assert pdf_url in html and csv_url in html
    first = coordinator_client.get(pdf_url)
    second = coordinator_client.get(pdf_url)
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data == stored_pdf == exported.read_bytes()
    assert first.headers["ETag"] == f'"{hashlib.sha256(first.data).hexdigest()}"'
    assert "attachment" in first.headers["Content-Disposition"]
    assert len(PdfReader(BytesIO(first.data)).pages) == 115
    csv_download = coordinator_client.get(csv_url)
    assert csv_download.data == coordinator_client.get(csv_url).data == stored_csv
    assert csv_download.data.decode("utf-8-sig").startswith("Namn;c/o;Utdelningsadress")
    missing = coordinator_client.get(f"/coordinator/letters/batches/{batch.id + 1}/pdf")
    assert missing.status_code == 404


def test_preview_in_arabic_for_a_stored_household(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    import_sample(app)
    with app.app_context():
        household_id = db.session.scalars(
            sa.select(LetterHousehold.id).where(LetterHousehold.street == "Furustigen 8")
        ).one()
    page = coordinator_client.get(
        f"/coordinator/letters/preview?stage=2&age_group=family&language=ar&household={household_id}"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Fatima" in html  # the email version, shown as text on the page
    frame = re.search(r'<iframe[^>]+src="([^"]+)"', html)
    assert frame
    document = coordinator_client.get(frame.group(1).replace("&amp;", "&"))
    doc_html = document.get_data(as_text=True)
    assert document.status_code == 200
    assert 'dir="rtl"' in doc_html and 'lang="ar"' in doc_html
    assert "Furustigen 8" in doc_html
    assert "script-src" not in document.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in document.headers["Content-Security-Policy"]
    pdf = coordinator_client.get(frame.group(1).replace("&amp;", "&") + "&format=pdf")
    assert len(PdfReader(BytesIO(pdf.data)).pages) == 1

    # Without any stored household the preview uses a made-up one.
    with app.app_context():
        db.session.execute(sa.delete(LetterHousehold))
        db.session.commit()
    sample = coordinator_client.get("/coordinator/letters/preview?stage=1&age_group=young")
    assert sample.status_code == 200 and "Exempel" in sample.get_data(as_text=True)


def test_edit_text_rejects_unsafe_placeholders_and_saved_text_is_used(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    url = "/coordinator/letters/texts/1/adult/sv"
    form = coordinator_client.get(url)
    token = csrf_token_from(form.get_data(as_text=True))
    bad = coordinator_client.post(
        url,
        data={
            "csrf_token": token,
            "subject": "Hej {namn}",
            "body": "Välkommen {namn}! {config.SECRET_KEY} {{ 7*7 }} {__class__}",
            "action": "save",
        },
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    error = re.search(r'<p class="error" id="body-error">(.*?)</p>', html, re.S)
    assert error and "config.SECRET_KEY" in error.group(1)
    assert 'aria-describedby="body-hint body-error"' in html
    assert 'id="subject-error"' not in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterTextOverride)) == 0

    # Preview an unsaved draft: nothing stored, the frame shows the draft.
    draft = coordinator_client.post(
        url,
        data={
            "csrf_token": token,
            "subject": "Hej {namn}",
            "body": "Ett utkast för {ort}.",
            "action": "preview",
        },
    )
    assert draft.status_code == 200
    frame = re.search(r'<iframe[^>]+src="([^"]+)"', draft.get_data(as_text=True))
    assert frame
    shown = coordinator_client.get(frame.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Ett utkast för" in shown

    saved = coordinator_client.post(
        url,
        data={
            "csrf_token": token,
            "subject": "Välkommen, {namn}",
            "body": "Särskild hälsning till {ort} från kommunen. Läs mer: {webbsida}",
            "action": "save",
        },
    )
    assert saved.status_code == 302
    import_sample(app)
    run(app, SAMPLE_TODAY)
    with app.app_context():
        batch = db.session.scalars(sa.select(LetterBatch)).one()
        rows = (batch.csv or b"").decode("utf-8-sig").splitlines()[1:]
        pages = PdfReader(BytesIO(batch.pdf or b"")).pages
    adult_sv = [i for i, row in enumerate(rows) if row.endswith(";1;svenska;vuxen")]
    assert adult_sv
    text = pages[adult_sv[0]].extract_text()
    assert "Särskild hälsning till" in text


def test_upload_dry_run_then_confirm(coordinator_client: FlaskClient, app: Flask) -> None:
    page = coordinator_client.get("/coordinator/letters/import")
    token = csrf_token_from(page.get_data(as_text=True))
    report = coordinator_client.post(
        "/coordinator/letters/import",
        data={
            "csrf_token": token,
            "file": (BytesIO(SAMPLE_CSV.read_bytes()), "inflyttade.csv"),
        },
        content_type="multipart/form-data",
    )
    html = report.get_data(as_text=True)
    assert report.status_code == 200
    assert "Provläsning" in html
    assert "<dd>250</dd>" in html and "<dd>120</dd>" in html
    assert "<td>25</td>" in html and "kontrollsiffra" in html  # bad rows by line
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterHousehold)) == 0
    confirm_token = re.search(r'name="token"[^>]*value="([^"]+)"', html)
    assert confirm_token
    done = coordinator_client.post(
        "/coordinator/letters/import/confirm",
        data={"csrf_token": csrf_token_from(html), "token": confirm_token.group(1)},
    )
    assert done.status_code == 200 and "Inläst" in done.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LetterHousehold)) == 120
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PendingUpload)) == 0
    # The same confirmation cannot import twice.
    again = coordinator_client.post(
        "/coordinator/letters/import/confirm",
        data={"csrf_token": csrf_token_from(html), "token": confirm_token.group(1)},
    )
    assert again.status_code == 404


def test_link_a_newcomer_by_hand_decides_channel(
    coordinator_client: FlaskClient, app: Flask
) -> None:
    import_sample(app)
    with app.app_context():
        # Wrote another street than the register has: not linked automatically.
        newcomer = Newcomer(
            name="Yusuf Mansour",
            email="yusuf@example.org",
            street_address="Parkv. 8 lgh 1102",
            letters_by_email=True,
            preferred_language="en",
        )
        db.session.add(newcomer)
        db.session.commit()
        newcomer_id = newcomer.id
        household_id = db.session.scalars(
            sa.select(LetterHousehold.id).where(LetterHousehold.street == "Parkvägen 8")
        ).one()
    url = f"/coordinator/letters/households/{household_id}"
    page = coordinator_client.get(url + "?q=Yusuf")
    html = page.get_data(as_text=True)
    assert "Yusuf Mansour" in html and "Koppla" in html
    linked = coordinator_client.post(
        f"{url}/link", data={"csrf_token": csrf_token_from(html), "newcomer_id": newcomer_id}
    )
    assert linked.status_code == 302
    report = run(app, SAMPLE_TODAY)
    assert report.by_channel == {"email": 1, "print": 114}
    with app.app_context():
        household = db.session.get(LetterHousehold, household_id)
        assert household.is_linked_by_hand and household.newcomer_id == newcomer_id
        assert [(x.channel.value, x.language) for x in household.letters] == [("email", "en")]
        views = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "view",
                AuditEvent.subject_type == "household",
                AuditEvent.subject_id == household_id,
            )
        )
        assert views == 1
    page = coordinator_client.get(url)
    assert "kopplad för hand" in page.get_data(as_text=True)
