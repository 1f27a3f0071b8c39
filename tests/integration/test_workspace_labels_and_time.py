"""Pages show audit actions by their labels and stored UTC times in Stockholm time."""

from __future__ import annotations

from datetime import UTC, datetime
from html import unescape

from avestavard.extensions import db
from avestavard.models import AuditAction, AuditEvent, Host, Newcomer, NewcomerStatus
from avestavard.models.matches import Match


def test_audit_log_labels_actions_in_swedish_and_english(app, coordinator_client):
    with app.app_context():
        db.session.add(
            AuditEvent(
                at=datetime(2026, 12, 5, 13, 3, tzinfo=UTC),
                action=AuditAction.NOTIFY_HOST,
                subject_type="match",
                subject_id=3,
                actor_label="kim@avesta.example",
            )
        )
        db.session.commit()
    page = unescape(coordinator_client.get("/admin/audit").get_data(as_text=True))
    assert "Skickade förfrågan till värden" in page
    assert "notify-host</td>" not in page
    assert "5 dec. 2026 14:03" in page
    # Every action is offered in the filter, not only those already logged.
    assert '<option value="note-create">Skrev anteckning</option>' in page
    english = unescape(coordinator_client.get("/admin/audit?lang=en").get_data(as_text=True))
    assert "Asked the host" in english


def test_match_page_shows_its_steps_in_stockholm_time(app, coordinator_client):
    with app.app_context():
        host = Host(name="Karin Berg")
        newcomer = Newcomer(name="Yusuf Ali", status=NewcomerStatus.MATCHED)
        db.session.add_all([host, newcomer])
        db.session.flush()
        match = Match(
            host_id=host.id,
            newcomer_id=newcomer.id,
            proposed_at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC),
        )
        db.session.add(match)
        db.session.commit()
        match_id = match.id
    page = unescape(
        coordinator_client.get(f"/coordinator/matches/{match_id}").get_data(as_text=True)
    )
    # 22:30 UTC on 1 July is half past midnight on 2 July in Avesta.
    assert "2 juli 2026 00:30" in page
    assert "(UTC)" not in page
