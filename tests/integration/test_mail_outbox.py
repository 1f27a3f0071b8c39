"""The coordinators' outbox page: failed and uncertain mail, and what a coordinator does about it.

The states are produced by the real sender against a real SMTP server (aiosmtpd) that refuses
one recipient and drops the connection after another one's data.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from avestavard.errors import ValidationFailed
from avestavard.extensions import db
from avestavard.models import AuditEvent, OutboxMessage, OutboxStatus
from avestavard.services.mail import queue_mail
from avestavard.services.mail_sender import SendReport, send_due_mail
from tests.conftest import csrf_token_from, login

GOOD = "anna@avesta.example"
REFUSED = "finns-inte@avesta.example"
DROPPED = "omar@avesta.example"


@dataclass
class Server:
    """aiosmtpd that refuses the recipients in ``refuse`` and hangs up after ``drop``'s data."""

    host: str
    port: int
    refuse: set[str] = field(default_factory=set)
    drop: set[str] = field(default_factory=set)
    received: list[tuple[str, EmailMessage]] = field(default_factory=list)

    def copies(self, to: str) -> list[EmailMessage]:
        """Every copy of a message to ``to`` that reached the server."""
        return [message for rcpt, message in self.received if rcpt == to]


class Handler:
    """The aiosmtpd handler behind :class:`Server`."""

    def __init__(self, server: Server) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        to = envelope.rcpt_tos[0]
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.server.received.append((to, message))
        if to in self.server.drop:
            self.server.drop.discard(to)
            server.transport.close()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[Server]:
    """The misbehaving SMTP server on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = Server("127.0.0.1", port, refuse={REFUSED}, drop={DROPPED})
    controller = Controller(Handler(server), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def send(app: Flask, server: Server, now: datetime | None = None) -> SendReport:
    """Run the real sender against ``server``."""
    config = {**app.config, "SMTP_HOST": server.host, "SMTP_PORT": server.port}
    with app.app_context():
        return send_due_mail(db.engine, now or datetime.now(UTC), config=config)


def message_for(app: Flask, to: str) -> OutboxMessage:
    """The outbox row for ``to`` (detached)."""
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to)).one()
        db.session.expunge(row)
        return row


def audit_actions(app: Flask, message_id: int) -> list[tuple[str, str]]:
    """(action, actor) of the audit events about one outbox message."""
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "outbox_message", AuditEvent.subject_id == message_id)
            .order_by(AuditEvent.id)
        ).all()
        return [(e.action, e.actor_label) for e in events]


@pytest.fixture
def troubled_outbox(app: Flask, smtp: Server) -> Server:
    """Three messages sent: one arrives, one is refused (550), one is uncertain (dropped)."""
    with app.app_context():
        for i, to in enumerate((GOOD, REFUSED, DROPPED)):
            queue_mail(
                db.session,
                key=f"match:{i}:host-notified",
                to=to,
                subject=f"Ny matchning {i}",
                text="Hej!",
                html="<p>Hej!</p>",
            )
        db.session.commit()
    report = send(app, smtp)
    assert (report.sent, report.failed, report.unknown) == (1, 1, 1)
    return smtp


def post_action(client: Any, path: str) -> Any:
    """Press a button on the outbox page (the real form's CSRF token)."""
    token = csrf_token_from(client.get("/coordinator/outbox").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token})


def status_count(html: str, status: str) -> int:
    """The number shown for ``status`` in the counts table."""
    row = html.split(f'data-status="{status}"', 1)[1].split("</tr>", 1)[0]
    return int(row.rsplit("<td>", 1)[1].split("</td>", 1)[0])


# --------------------------------------------------------------------------- the page


def test_coordinator_sees_counts_and_the_messages_that_need_a_decision(
    app, coordinator_client, troubled_outbox
):
    page = coordinator_client.get("/coordinator/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert status_count(html, "sent") == 1
    assert status_count(html, "failed") == 1
    assert status_count(html, "unknown") == 1
    assert status_count(html, "queued") == 0

    failed_section = html.split('id="failed"', 1)[1].split("</section>", 1)[0]
    assert REFUSED in failed_section
    assert "550 5.1.1" in failed_section and "User unknown" in failed_section
    assert "Försök igen" in failed_section
    unknown_section = html.split('id="unknown"', 1)[1].split("</section>", 1)[0]
    assert DROPPED in unknown_section
    assert "Markera som skickat" in unknown_section and "Skicka igen" in unknown_section
    decisions = html.split('id="all"', 1)[0]
    assert GOOD not in decisions  # delivered mail needs nobody
    assert GOOD in html.split('id="all"', 1)[1]  # but it is in the list of every message


def test_menu_links_to_the_outbox(coordinator_client):
    html = coordinator_client.get("/coordinator/").get_data(as_text=True)
    assert 'href="/coordinator/outbox"' in html


def test_page_in_english(coordinator_client, troubled_outbox):
    html = coordinator_client.get("/coordinator/outbox?lang=en").get_data(as_text=True)
    assert "Did not arrive" in html
    assert "Mark as sent" in html
    assert "Kom inte fram" not in html


# --------------------------------------------------------------------------- decisions


def test_retrying_a_failed_message_delivers_it_once_the_address_works(
    app, coordinator_client, troubled_outbox
):
    refused = message_for(app, REFUSED)
    troubled_outbox.refuse.clear()  # the mailbox exists now

    response = post_action(coordinator_client, f"/coordinator/outbox/{refused.id}/retry")

    assert response.status_code == 302
    follow = coordinator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Meddelandet till {REFUSED} skickas igen." in follow
    assert message_for(app, REFUSED).status is OutboxStatus.RETRY
    assert audit_actions(app, refused.id) == [("outbox_retry", "samordnare@avesta.example")]

    assert send(app, troubled_outbox).sent == 1
    assert message_for(app, REFUSED).status is OutboxStatus.SENT
    assert len(troubled_outbox.copies(REFUSED)) == 1


def test_retry_all_failed(app, coordinator_client, troubled_outbox):
    troubled_outbox.refuse.clear()
    response = post_action(coordinator_client, "/coordinator/outbox/retry-failed")
    assert response.status_code == 302
    assert message_for(app, REFUSED).status is OutboxStatus.RETRY
    assert message_for(app, DROPPED).status is OutboxStatus.UNKNOWN  # not touched
    send(app, troubled_outbox)
    assert len(troubled_outbox.copies(REFUSED)) == 1


def test_marking_an_uncertain_message_as_sent_never_sends_it_again(
    app, coordinator_client, troubled_outbox
):
    dropped = message_for(app, DROPPED)
    response = post_action(coordinator_client, f"/coordinator/outbox/{dropped.id}/mark-sent")
    assert response.status_code == 302

    row = message_for(app, DROPPED)
    assert row.status is OutboxStatus.SENT
    assert row.sent_at is not None
    assert audit_actions(app, dropped.id) == [("outbox_mark_sent", "samordnare@avesta.example")]
    send(app, troubled_outbox, datetime.now(UTC) + timedelta(days=1))
    assert len(troubled_outbox.copies(DROPPED)) == 1
    html = coordinator_client.get("/coordinator/outbox").get_data(as_text=True)
    assert status_count(html, "unknown") == 0 and status_count(html, "sent") == 2


def test_resending_an_uncertain_message_sends_the_same_message_id(
    app, coordinator_client, troubled_outbox
):
    dropped = message_for(app, DROPPED)
    response = post_action(coordinator_client, f"/coordinator/outbox/{dropped.id}/resend")
    assert response.status_code == 302
    assert audit_actions(app, dropped.id) == [("outbox_resend", "samordnare@avesta.example")]

    assert send(app, troubled_outbox).sent == 1
    first, second = troubled_outbox.copies(DROPPED)
    assert first["Message-ID"] == second["Message-ID"]
    row = message_for(app, DROPPED)
    assert row.status is OutboxStatus.SENT and row.resend_count == 1


def test_a_second_click_gets_a_clear_conflict_page(app, coordinator_client, troubled_outbox):
    dropped = message_for(app, DROPPED)
    token = csrf_token_from(coordinator_client.get("/coordinator/outbox").get_data(as_text=True))
    first = coordinator_client.post(
        f"/coordinator/outbox/{dropped.id}/resend", data={"csrf_token": token}
    )
    second = coordinator_client.post(
        f"/coordinator/outbox/{dropped.id}/resend", data={"csrf_token": token}
    )
    assert first.status_code == 302
    assert second.status_code == 409
    assert "Meddelandet har redan hanterats" in second.get_data(as_text=True)
    assert message_for(app, DROPPED).resend_count == 1


def test_unknown_message_id_is_404(coordinator_client, troubled_outbox):
    assert post_action(coordinator_client, "/coordinator/outbox/999999/retry").status_code == 404


def test_actions_need_the_csrf_token(app, coordinator_client, troubled_outbox):
    refused = message_for(app, REFUSED)
    response = coordinator_client.post(f"/coordinator/outbox/{refused.id}/retry")
    assert response.status_code == 400
    assert message_for(app, REFUSED).status is OutboxStatus.FAILED


def test_hosts_and_anonymous_visitors_cannot_see_or_change_the_outbox(
    app, client, make_user, troubled_outbox
):
    refused = message_for(app, REFUSED)
    anonymous = client.get("/coordinator/outbox")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    host = make_user("host")
    login(client, host.email)
    assert client.get("/coordinator/outbox").status_code == 403
    token = csrf_token_from(client.get("/host/").get_data(as_text=True))
    response = client.post(f"/coordinator/outbox/{refused.id}/retry", data={"csrf_token": token})
    assert response.status_code == 404  # pages about one record reveal nothing to other roles
    assert message_for(app, REFUSED).status is OutboxStatus.FAILED


# --------------------------------------------------------------------------- queueing


def test_queue_mail_is_idempotent_and_refuses_header_injection(app):
    with app.app_context():
        first = queue_mail(db.session, key="k:1", to=GOOD, subject="Hej", text="a")
        again = queue_mail(db.session, key="k:1", to=GOOD, subject="Hej igen", text="b")
        assert again.id == first.id and again.subject == "Hej"
        for bad in (
            {"subject": "Hej\r\nBcc: someone@example.com"},
            {"to": "anna@avesta.example\nBcc: x@example.com"},
            {"headers": {"Bcc": "someone@example.com"}},
            {"headers": {"X-Note": "line\nInjected: yes"}},
        ):
            kwargs: dict[str, Any] = {"to": GOOD, "subject": "Hej", "text": "a", **bad}
            with pytest.raises(ValidationFailed):
                queue_mail(db.session, key="k:bad", **kwargs)
        db.session.rollback()
