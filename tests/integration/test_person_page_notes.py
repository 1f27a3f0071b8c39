"""The person page as the one place: notes (written, changed by their author for a day, then
kept), and a timeline that merges the system's events with the notes in Stockholm time. Notes
are in the register extract, gone after erasure, and every write and reading is audit-logged."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import event, func, select

from avestavard.extensions import db
from avestavard.models import AuditEvent, Host, Newcomer, NewcomerStatus, OutboxMessage
from avestavard.models.matches import Match, MatchProposal, MatchState, ProposalStatus
from avestavard.models.notes import Note
from tests.conftest import csrf_token_from, login

REGISTERED = datetime(2026, 11, 2, 13, 3, tzinfo=UTC)  # 14:03 in Stockholm (winter time)
APPROVED = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # 09:30 in Stockholm


@pytest.fixture
def amira(app):
    """A waiting newcomer with a match, a proposal and an email, and a host."""
    with app.app_context():
        host = Host(name="Åsa Öberg", email="asa@avesta.example", area="Krylbo")
        other = Host(name="Bo Ek", area="Fors")
        newcomer = Newcomer(
            name="Amira Haddad",
            email="amira@example.org",
            status=NewcomerStatus.MATCHED,
            registered_at=REGISTERED,
            confirmed_at=REGISTERED + timedelta(hours=1),
        )
        db.session.add_all([host, other, newcomer])
        db.session.flush()
        db.session.add_all(
            [
                Match(
                    host_id=host.id,
                    newcomer_id=newcomer.id,
                    state=MatchState.ACCEPTED,
                    approved_at=APPROVED,
                    accepted_at=APPROVED + timedelta(days=1),
                ),
                MatchProposal(
                    host_id=other.id,
                    newcomer_id=newcomer.id,
                    score=0.5,
                    status=ProposalStatus.REJECTED,
                    computed_at=APPROVED - timedelta(days=2),
                    decided_at=APPROVED - timedelta(days=1),
                ),
                OutboxMessage(
                    idempotency_key="welcome-amira",
                    to_address="Amira@Example.org",
                    subject="Välkommen till AvestaVärd",
                    body_text="Hej",
                    created_at=REGISTERED,
                ),
            ]
        )
        db.session.commit()
        return newcomer.id, host.id


def _write_note(client, url: str, text: str):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(f"{url}/notes", data={"csrf_token": token, "text": text})


def _timeline(html: str) -> list[str]:
    body = html.split('id="timeline"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", body, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def _audit(app, newcomer_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_type == "newcomer", AuditEvent.subject_id == newcomer_id)
                .order_by(AuditEvent.id)
            )
        )


def test_note_on_a_newcomer_in_timeline_extract_and_gone_after_erasure(
    amira, app, coordinator_client
):
    newcomer_id, _host_id = amira
    url = f"/coordinator/newcomers/{newcomer_id}"
    page = coordinator_client.get(url).get_data(as_text=True)
    # The warning is at the field, tied to it for screen readers.
    assert "Skriv inte om hälsa, religion eller etnisk bakgrund." in page
    assert re.search(r'<textarea[^>]*aria-describedby="text-hint"', page)

    saved = _write_note(coordinator_client, url, "Ringde i tisdags.\nFöredrar helger.")
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"{url}#notes")

    timeline = _timeline(coordinator_client.get(url).get_data(as_text=True))
    # Newest first; the note beside the system's events, each in Stockholm time.
    assert "Ringde i tisdags. Föredrar helger." in timeline[0]
    assert "Anteckning av samordnare@avesta.example" in timeline[0]
    assert timeline[1:] == [
        "21 nov. 2026 09:30 Värden tackade ja (Åsa Öberg)",
        "20 nov. 2026 09:30 Matchning med Åsa Öberg godkänd",
        "19 nov. 2026 09:30 Förslaget Bo Ek avvisat",
        "18 nov. 2026 09:30 Föreslagen: Bo Ek",
        "2 nov. 2026 15:03 Anmälan bekräftad",
        "2 nov. 2026 14:03 Anmälde sig",
        "2 nov. 2026 14:03 E-post: Välkommen till AvestaVärd",
    ]

    extract = json.loads(coordinator_client.get(f"{url}/extract.json").data)
    assert [n["text"] for n in extract["notes"]] == ["Ringde i tisdags.\nFöredrar helger."]
    assert extract["notes"][0]["author"] == "samordnare@avesta.example"

    token = csrf_token_from(coordinator_client.get(url).get_data(as_text=True))
    erased = coordinator_client.post(f"{url}/erase", data={"csrf_token": token, "confirm": "y"})
    assert erased.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Note.id))) == 0
    assert coordinator_client.get(url).status_code == 404
    actions = _audit(app, newcomer_id)
    assert actions.count("note-create") == 1
    assert "note-view" in actions
    assert actions[-1] == "erase"


def test_empty_note_is_shown_at_the_field_and_nothing_is_saved(amira, app, coordinator_client):
    newcomer_id, _host_id = amira
    url = f"/coordinator/newcomers/{newcomer_id}"
    answer = _write_note(coordinator_client, url, "   ")
    html = unescape(answer.get_data(as_text=True))
    assert answer.status_code == 400
    assert 'id="text-error"' in html and "Skriv något i anteckningen." in html
    assert 'id="timeline"' in html  # the whole page is shown again
    with app.app_context():
        assert db.session.scalar(select(func.count(Note.id))) == 0


def test_author_edits_for_a_day_then_the_note_is_append_only(
    amira, app, client, coordinator_client, make_user
):
    newcomer_id, _host_id = amira
    url = f"/coordinator/newcomers/{newcomer_id}"
    _write_note(coordinator_client, url, "Första versionen")
    with app.app_context():
        note_id = db.session.scalar(select(Note.id))
    edit_url = f"/coordinator/notes/{note_id}/edit"
    assert edit_url in coordinator_client.get(url).get_data(as_text=True)
    token = csrf_token_from(coordinator_client.get(edit_url).get_data(as_text=True))
    changed = coordinator_client.post(edit_url, data={"csrf_token": token, "text": "Andra"})
    assert changed.status_code == 302
    page = unescape(coordinator_client.get(url).get_data(as_text=True))
    assert "Andra" in page and "Första versionen" not in page and "(ändrad " in page

    # Another coordinator may read it but not change it.
    colleague = make_user("coordinator", email="kollega@avesta.example")
    other = app.test_client()
    login(other, colleague.email)
    assert edit_url not in other.get(url).get_data(as_text=True)
    token = csrf_token_from(other.get(url).get_data(as_text=True))
    assert other.post(edit_url, data={"csrf_token": token, "text": "X"}).status_code == 403

    # After a day not even the author may.
    with app.app_context():
        note = db.session.get(Note, note_id)
        note.created_at = datetime.now(UTC) - timedelta(hours=24, minutes=1)
        db.session.commit()
    own_page = coordinator_client.get(url).get_data(as_text=True)
    assert edit_url not in own_page
    token = csrf_token_from(own_page)
    late = coordinator_client.post(edit_url, data={"csrf_token": token, "text": "Sent"})
    assert late.status_code == 403
    with app.app_context():
        assert db.session.get(Note, note_id).text == "Andra"
    assert _audit(app, newcomer_id).count("note-update") == 1


def test_host_page_shows_matches_proposals_mails_and_notes(amira, app, coordinator_client):
    _newcomer_id, host_id = amira
    with app.app_context():
        db.session.add(
            OutboxMessage(
                idempotency_key="ask-asa",
                to_address="asa@avesta.example",
                subject="En ny nyinflyttad",
                body_text="Hej",
            )
        )
        db.session.commit()
    url = f"/coordinator/hosts/{host_id}"
    assert _write_note(coordinator_client, url, "Vill helst ses på lördagar").status_code == 302
    html = unescape(coordinator_client.get(url).get_data(as_text=True))
    assert "Åsa Öberg – Amira Haddad" in html
    assert "En ny nyinflyttad" in html.split('id="person-mails"', 1)[1]
    timeline = _timeline(html)
    assert "Vill helst ses på lördagar" in timeline[0]
    assert "20 nov. 2026 09:30 Matchning med Amira Haddad godkänd" in timeline


def test_english_person_page(amira, app, coordinator_client):
    newcomer_id, _host_id = amira
    url = f"/coordinator/newcomers/{newcomer_id}"
    _write_note(coordinator_client, url, "Called on Tuesday")
    html = unescape(coordinator_client.get(f"{url}?lang=en").get_data(as_text=True))
    assert "Notes and events" in html
    assert "Do not write about health, religion or ethnic background." in html
    timeline = _timeline(html)
    assert "Nov 20, 2026, 9:30 AM Match with Åsa Öberg approved" in timeline


def test_the_page_reads_the_same_queries_however_long_the_history(amira, app, coordinator_client):
    newcomer_id, _host_id = amira
    with app.app_context():
        engine = db.engine
        quiet = Newcomer(name="Ny Person", email="ny@example.org")
        db.session.add(quiet)
        db.session.commit()
        quiet_id = quiet.id
    for url in (f"/coordinator/newcomers/{newcomer_id}", f"/coordinator/newcomers/{quiet_id}"):
        for text in ("Första", "Andra", "Tredje"):
            assert _write_note(coordinator_client, url, text).status_code == 302
    with app.app_context():
        db.session.add_all(
            OutboxMessage(
                idempotency_key=f"extra-{i}",
                to_address="amira@example.org",
                subject=f"Brev {i}",
                body_text="Hej",
            )
            for i in range(5)
        )
        db.session.commit()
    counts: list[int] = []

    def count(*_args):
        counts[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for person in (quiet_id, newcomer_id):
            counts.append(0)
            assert coordinator_client.get(f"/coordinator/newcomers/{person}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    quiet_count, busy_count = counts
    # The busy page reads the household's letters, matches and proposals as the quiet one
    # does; a match adds its follow-ups (one query), never one per row.
    assert busy_count <= quiet_count + 1
