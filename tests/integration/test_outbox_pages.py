"""The outbox coordinators can read: every message with filters, a message page with its text,
headers and failed attempts explained in Swedish (RFC 3463 codes, else the reply code), spent
token links hidden, opening audit-logged, and queued messages stopped before they are sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import (
    AuditEvent,
    Host,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
)
from avestavard.services import accounts
from avestavard.services import matches as service
from avestavard.services.mail import queue_mail
from avestavard.services.mail_sender import send_due_mail
from avestavard.services.outbox import explain
from tests.conftest import csrf_token_from
from tests.integration import test_mail_sender
from tests.integration.matches_support import (
    add_host,
    add_newcomer,
    deliver,
    links_in,
    outbox,
    settings,
    system,
    to_path,
)
from tests.integration.test_mail_sender import FaultSmtp

# The SMTP server with faults of the sender's tests (a fixture shared by name).
fault_smtp = test_mail_sender.fault_smtp


def _now() -> datetime:
    return datetime.now(UTC)


def _queue(app, key: str, to: str, text: str = "Hej!") -> int:
    with app.app_context():
        message = queue_mail(db.session, key=key, to=to, subject=f"Ämne {key}", text=text)
        db.session.commit()
        return message.id


def _send(app, smtp: FaultSmtp, now: datetime):
    config = {**app.config, "SMTP_HOST": smtp.host, "SMTP_PORT": smtp.port}
    with app.app_context():
        return send_due_mail(db.engine, now, config=config)


def test_explanations_by_enhanced_code_then_reply_code():
    assert explain(550, "5.1.1") == "Adressen finns inte hos mottagarens e-postserver."
    assert explain(452, "4.2.2") == "Mottagarens brevlåda är full."
    assert explain(554, None) == "E-postservern vägrade ta emot meddelandet."
    assert explain(550, "5.9.99") == explain(550, None)  # unknown detail: by reply code
    assert explain(599, None) == "Ett bestående fel: meddelandet kommer inte fram så här."
    assert explain(None, None).startswith("Ingen svarskod")


def test_failed_message_page_shows_every_attempt_explained(app, coordinator_client, fault_smtp):
    to = "olena@example.org"
    message_id = _queue(app, "registration-confirm:abc", to, "Bekräfta här: https://x.example/r")
    fault_smtp.rcpt_replies[to] = [
        "452 4.2.2 Mailbox full",
        "550 5.1.1 <olena@example.org>: No such user",
    ]
    assert _send(app, fault_smtp, _now()).retried == 1
    assert _send(app, fault_smtp, _now() + timedelta(minutes=2)).failed == 1
    with app.app_context():
        attempts = db.session.scalars(select(OutboxAttempt).order_by(OutboxAttempt.id)).all()
        assert [(a.outcome, a.reply_code, a.enhanced_status) for a in attempts] == [
            ("retry", 452, "4.2.2"),
            ("failed", 550, "5.1.1"),
        ]
    listing = coordinator_client.get("/coordinator/outbox").get_data(as_text=True)
    assert "Adressen finns inte hos mottagarens e-postserver." in listing
    page = coordinator_client.get(f"/coordinator/outbox/{message_id}").get_data(as_text=True)
    assert "Mottagarens brevlåda är full." in page
    assert "Adressen finns inte hos mottagarens e-postserver." in page
    assert "No such user" in page  # the server's own reply, kept below
    assert "Bekräftelse av anmälan" in page and "Bekräfta här" in page
    with app.app_context():
        opened = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "view",
                AuditEvent.subject_type == "outbox_message",
                AuditEvent.subject_id == message_id,
            )
        )
        assert opened is not None
    # A failed message can be sent again from its page.
    token = csrf_token_from(page)
    response = coordinator_client.post(
        f"/coordinator/outbox/{message_id}/retry", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert [m.status for m in outbox(app)] == [OutboxStatus.RETRY]


def test_outbox_page_has_a_plain_title_and_one_list(app, coordinator_client):
    _queue(app, "match:7:introduction", "amira@example.org")
    page = coordinator_client.get("/coordinator/outbox").get_data(as_text=True)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("E-post") and "<" not in title
    assert page.count('id="all"') == page.count('id="outbox-list"') == 1


def test_list_filters_by_status_kind_and_person(app, coordinator_client):
    _queue(app, "password-link:1:abc", "karin@avesta.example")
    _queue(app, "registration-confirm:def", "olena@example.org")
    _queue(app, "match:7:introduction", "amira@example.org")
    with app.app_context():
        row = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.to_address == "olena@example.org")
        )
        assert row is not None
        row.status = OutboxStatus.SENT
        row.sent_at = _now()
        db.session.commit()

    def listed(query: str) -> set[str]:
        page = coordinator_client.get(f"/coordinator/outbox?{query}").get_data(as_text=True)
        table = page.split('id="outbox-list"', 1)[1] if 'id="outbox-list"' in page else ""
        return {a for a in ("karin@", "olena@", "amira@") if a in table}

    assert listed("") == {"karin@", "olena@", "amira@"}
    assert listed("status=sent") == {"olena@"}
    assert listed("kind=password-link") == {"karin@"}
    assert listed("kind=introduction") == {"amira@"}
    assert listed("person=AMIRA") == {"amira@"}
    assert listed("person=%25") == set()  # a wildcard is a plain character
    assert listed("status=nonsense&kind=%3Cscript%3E") == {"karin@", "olena@", "amira@"}


def test_answer_links_show_while_usable_then_are_hidden(app, coordinator_client, smtp_server):
    app.config["PUBLIC_BASE_URL"] = "http://localhost"
    host = add_host(app)
    newcomer = add_newcomer(app)
    now = _now()
    with app.app_context():
        service.assign_other_host(
            db.session, system(), newcomer, host, now=now, settings=settings(app)
        )
        db.session.commit()
    [row] = outbox(app)
    assert deliver(app, smtp_server).sent == 1
    [mail] = smtp_server.wait_for(1)
    accept, _decline = links_in(mail)
    token = to_path(accept).split("/")[-1].split("?")[0]
    page = coordinator_client.get(f"/coordinator/outbox/{row.id}").get_data(as_text=True)
    assert token in page  # still needed: the host has not answered
    with app.app_context():
        service.accept_by_link(db.session, token, now=now, settings=settings(app))
        db.session.commit()
    page = coordinator_client.get(f"/coordinator/outbox/{row.id}").get_data(as_text=True)
    assert token not in page and "/matchning/svar/[…]" in page


def test_a_queued_message_can_be_stopped(app, coordinator_client, fault_smtp):
    message_id = _queue(app, "password-link:2:xyz", "lars@avesta.example")
    page = coordinator_client.get(f"/coordinator/outbox/{message_id}").get_data(as_text=True)
    token = csrf_token_from(page)
    response = coordinator_client.post(
        f"/coordinator/outbox/{message_id}/cancel", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert [m.status for m in outbox(app)] == [OutboxStatus.CANCELLED]
    assert _send(app, fault_smtp, _now() + timedelta(hours=1)).claimed == 0
    assert fault_smtp.rcpt_seen == []
    again = coordinator_client.post(
        f"/coordinator/outbox/{message_id}/cancel", data={"csrf_token": token}
    )
    assert again.status_code == 409
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_id == message_id)
        ).all()
        assert "outbox_cancel" in actions


def test_set_password_links_show_while_usable_then_are_hidden(app, coordinator_client):
    app.config["PUBLIC_BASE_URL"] = "http://localhost"
    host_id = add_host(app)
    now = _now()
    with app.app_context():
        account_settings = accounts.AccountSettings.from_config(app.config)
        coordinator = db.session.scalars(select(User).where(User.role == Role.COORDINATOR)).one()
        link = accounts.create_host_login(
            db.session,
            coordinator,
            db.session.get(Host, host_id),
            email=None,
            now=now,
            settings=account_settings,
        )
        db.session.commit()
        message_id, token = link.mail.id, link.url.rsplit("/", 1)[1]
    page = coordinator_client.get(f"/coordinator/outbox/{message_id}").get_data(as_text=True)
    assert token in page  # still needed: no password chosen yet
    with app.app_context():
        accounts.set_password_with_link(
            db.session,
            token,
            "ett långt nytt lösenord",
            "ett långt nytt lösenord",
            now=now,
            settings=account_settings,
        )
        db.session.commit()
    page = coordinator_client.get(f"/coordinator/outbox/{message_id}").get_data(as_text=True)
    assert token not in page and "/password/[…]" in page
