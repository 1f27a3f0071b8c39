"""The outbox sender against a real SMTP server (aiosmtpd) that misbehaves on purpose.

In every case: each message reaches the server at most once, and none is lost (each ends sent,
or visibly failed / unknown for a coordinator).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
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

from avestavard.extensions import db
from avestavard.models import OutboxMessage, OutboxStatus
from avestavard.services.mail import queue_mail
from avestavard.services.mail_sender import (
    SendReport,
    message_id_for,
    send_due_mail,
)
from tests.paths import REPO_ROOT

ARABIC = "مرحبا بك في أفستا"
SUBJECT = f"Välkommen till Avesta – åäö ÅÄÖ – {ARABIC}"


# --------------------------------------------------------------------------- a faulty server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FaultSmtp:
    """aiosmtpd with faults per recipient. ``received`` holds every message whose data reached
    the server, answered or not: what a recipient could end up with."""

    host: str
    port: int
    received: list[tuple[str, EmailMessage]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    rcpt_seen: list[str] = field(default_factory=list)
    sessions: list[Any] = field(default_factory=list)
    mail_options: list[list[str]] = field(default_factory=list)
    # recipient -> replies to give, one per try (then normal service)
    rcpt_replies: dict[str, list[str]] = field(default_factory=dict)
    data_replies: dict[str, list[str]] = field(default_factory=dict)
    drop_at_rcpt: set[str] = field(default_factory=set)
    drop_after_data: set[str] = field(default_factory=set)
    slow_reply: dict[str, float] = field(default_factory=dict)
    # recipient -> (reached, release): the server stops there until the test releases it
    block_at_rcpt: dict[str, tuple[threading.Event, threading.Event]] = field(default_factory=dict)
    block_at_data: dict[str, tuple[threading.Event, threading.Event]] = field(default_factory=dict)

    def copies(self) -> Counter[str]:
        """How many copies of each recipient's message reached the server."""
        return Counter(to for to, _ in self.received)

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        """Wait until ``count`` messages reached the server."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"only {len(self.received)} of {count} arrived"


async def _wait(events: tuple[threading.Event, threading.Event]) -> None:
    reached, release = events
    reached.set()
    while not release.is_set():
        await asyncio.sleep(0.01)


class FaultHandler:
    """The aiosmtpd handler behind :class:`FaultSmtp`."""

    def __init__(self, sink: FaultSmtp) -> None:
        self.sink = sink

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if session not in self.sink.sessions:
            self.sink.sessions.append(session)
        self.sink.mail_options.append(list(mail_options))
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.sink.rcpt_seen.append(address)
        if address in self.sink.block_at_rcpt:
            await _wait(self.sink.block_at_rcpt[address])
        if address in self.sink.drop_at_rcpt:
            self.sink.drop_at_rcpt.discard(address)
            server.transport.close()
            return "250 OK"
        replies = self.sink.rcpt_replies.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        to = envelope.rcpt_tos[0]
        replies = self.sink.data_replies.get(to)
        if replies:
            return replies.pop(0)  # refused: the message was not accepted
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.sink.received.append((to, message))
        self.sink.raw.append(envelope.original_content)
        if to in self.sink.block_at_data:
            await _wait(self.sink.block_at_data[to])
        if to in self.sink.drop_after_data:
            server.transport.close()  # no reply: the client cannot know
        if to in self.sink.slow_reply:
            await asyncio.sleep(self.sink.slow_reply[to])
        return "250 OK"


@pytest.fixture
def fault_smtp() -> Iterator[FaultSmtp]:
    """A real SMTP server on a free loopback port whose faults each test sets."""
    port = _free_port()
    sink = FaultSmtp(host="127.0.0.1", port=port)
    controller = Controller(FaultHandler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        for events in [*sink.block_at_rcpt.values(), *sink.block_at_data.values()]:
            events[1].set()
        controller.stop()


# --------------------------------------------------------------------------- helpers


def address(i: int) -> str:
    return f"person{i}@avesta.example"


def queue(app: Flask, count: int, *, html: bool = True, start: int = 0) -> list[str]:
    """Queue ``count`` messages (one recipient each); returns their idempotency keys."""
    keys = []
    with app.app_context():
        for i in range(start, start + count):
            key = f"test:{i}:welcome"
            queue_mail(
                db.session,
                key=key,
                to=address(i),
                subject=f"{SUBJECT} #{i}",
                text=f"Hej nummer {i}!\nVälkommen.\n.\n{ARABIC}\n",
                html=f"<p>Hej nummer {i}! Välkommen. <span lang='ar'>{ARABIC}</span></p>"
                if html
                else None,
                headers={
                    "List-Unsubscribe": f"<https://avesta.example/unsubscribe/{i}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            keys.append(key)
        db.session.commit()
    return keys


def send(app: Flask, server: FaultSmtp, now: datetime | None = None, **kwargs: Any) -> SendReport:
    """Run the sender in this process against ``server``."""
    config = {**app.config, "SMTP_HOST": server.host, "SMTP_PORT": server.port}
    config.update(kwargs.pop("settings", {}))
    with app.app_context():
        return send_due_mail(
            db.engine,
            now or datetime.now(UTC),
            config=config,
            **kwargs,
        )


def rows(app: Flask) -> dict[str, OutboxMessage]:
    """Every outbox row by recipient (detached copies)."""
    with app.app_context():
        found = db.session.scalars(select(OutboxMessage)).all()
        db.session.expunge_all()
        return {m.to_address: m for m in found}


def assert_at_most_once_and_none_lost(app: Flask, server: FaultSmtp) -> None:
    """No copies twice; every message sent (and arrived), or failed/unknown for a person."""
    copies = server.copies()
    assert all(n == 1 for n in copies.values()), f"delivered twice: {copies}"
    for to, row in rows(app).items():
        assert row.status in {OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNKNOWN}, (
            to,
            row.status,
        )
        if row.status is OutboxStatus.SENT:
            assert copies[to] == 1, f"{to} recorded as sent but never arrived"
        else:
            assert row.last_error, f"{to} is {row.status} without an explanation"


# --------------------------------------------------------------------------- normal delivery


def test_messages_arrive_as_multipart_with_headers_and_utf8_subject(app, fault_smtp):
    keys = queue(app, 3)
    with app.app_context():
        queue_mail(
            db.session, key="plain", to="plain@avesta.example", subject="Bara text", text="Hej"
        )
        db.session.commit()

    report = send(app, fault_smtp)

    assert (report.claimed, report.sent, report.server_error) == (4, 4, None)
    assert len(fault_smtp.sessions) == 1, "all messages should go over one connection"
    arrived = dict(fault_smtp.received)
    for i, key in enumerate(keys):
        message = arrived[address(i)]
        assert message["Subject"] == f"{SUBJECT} #{i}"
        assert message["To"] == address(i)
        assert message["From"] == app.config["MAIL_FROM"]
        assert message["Reply-To"] == app.config["MAIL_REPLY_TO"]
        assert message["Message-ID"] == message_id_for(key, app.config["MAIL_FROM"])
        assert message["List-Unsubscribe"] == f"<https://avesta.example/unsubscribe/{i}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Date"]
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert text.replace("\r\n", "\n") == f"Hej nummer {i}!\nVälkommen.\n.\n{ARABIC}\n"
        assert ARABIC in html and "Välkommen" in html
    plain = arrived["plain@avesta.example"]
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().strip() == "Hej"

    stored = rows(app)
    assert {r.status for r in stored.values()} == {OutboxStatus.SENT}
    assert all(r.attempts == 1 and r.sent_at is not None for r in stored.values())
    # a second run finds nothing to do
    again = send(app, fault_smtp, datetime.now(UTC) + timedelta(days=1))
    assert again.claimed == 0
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_a_long_subject_is_folded_without_splitting_a_character(app, fault_smtp):
    subject = "Välkommen 👋 " + ARABIC * 6 + " åäö ÅÄÖ" * 8
    with app.app_context():
        queue_mail(db.session, key="long", to=address(0), subject=subject, text="Hej")
        db.session.commit()
    send(app, fault_smtp)
    (_, message), envelope_lines = fault_smtp.received[0], fault_smtp.raw[0].split(b"\r\n")
    assert message["Subject"] == subject
    assert max(len(line) for line in envelope_lines) <= 78


def test_a_non_ascii_address_goes_out_with_smtputf8(app, fault_smtp):
    with app.app_context():
        queue_mail(db.session, key="utf8", to="åsa@avesta.example", subject="Hej Åsa", text="Hej")
        db.session.commit()
    report = send(app, fault_smtp)
    assert report.sent == 1
    to, message = fault_smtp.received[0]
    assert to == "åsa@avesta.example" and message["To"] == "åsa@avesta.example"
    assert "SMTPUTF8" in fault_smtp.mail_options[0]
    assert message["Subject"] == "Hej Åsa"


def test_a_batch_larger_than_the_claim_size_is_sent_in_several_claims(app, fault_smtp):
    queue(app, 12, html=False)
    report = send(app, fault_smtp, batch_size=5)
    assert (report.claimed, report.sent) == (12, 12)
    assert len(fault_smtp.sessions) == 1
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_limit_sends_only_that_many(app, fault_smtp):
    queue(app, 5, html=False)
    report = send(app, fault_smtp, limit=2)
    assert report.sent == 2
    statuses = Counter(r.status for r in rows(app).values())
    assert statuses == {OutboxStatus.SENT: 2, OutboxStatus.QUEUED: 3}


# --------------------------------------------------------------------------- temporary failures


def test_421_on_one_message_is_retried_later_and_then_delivered_once(app, fault_smtp):
    queue(app, 5)
    fault_smtp.data_replies[address(1)] = ["421 4.3.2 Service shutting down, try later"]
    now = datetime.now(UTC)

    report = send(app, fault_smtp, now)

    assert (report.sent, report.retried) == (4, 1)
    row = rows(app)[address(1)]
    assert row.status is OutboxStatus.RETRY
    assert row.attempts == 1
    assert "421" in (row.last_error or "")
    # first backoff: one minute
    assert timedelta(seconds=55) < row.next_attempt_at - now < timedelta(seconds=70)
    # the server closes after a 421: the sender reconnected for the rest
    assert len(fault_smtp.sessions) == 2

    assert send(app, fault_smtp, now + timedelta(seconds=30)).claimed == 0  # not due yet
    later = send(app, fault_smtp, now + timedelta(minutes=2))
    assert later.sent == 1
    assert rows(app)[address(1)].status is OutboxStatus.SENT
    assert rows(app)[address(1)].attempts == 2
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_backoff_doubles_and_gives_up_after_the_maximum_attempts(app, fault_smtp):
    queue(app, 1)
    fault_smtp.rcpt_replies[address(0)] = ["451 4.7.1 Greylisted, try again later"] * 10
    settings = {"MAIL_MAX_ATTEMPTS": 4}
    now = datetime.now(UTC)
    delays = []
    for _ in range(3):
        report = send(app, fault_smtp, now, settings=settings)
        assert report.retried == 1
        row = rows(app)[address(0)]
        delays.append(round((row.next_attempt_at - now).total_seconds() / 60))
        now = row.next_attempt_at + timedelta(seconds=1)
    assert delays == [1, 2, 4]
    final = send(app, fault_smtp, now, settings=settings)
    assert final.failed == 1
    row = rows(app)[address(0)]
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == 4
    assert "gave up after 4 attempts" in (row.last_error or "")
    assert "451" in (row.last_error or "")
    assert fault_smtp.received == []


def test_connection_dropped_before_the_data_is_retried(app, fault_smtp):
    queue(app, 4)
    fault_smtp.drop_at_rcpt.add(address(2))
    now = datetime.now(UTC)

    report = send(app, fault_smtp, now)

    assert (report.sent, report.retried) == (3, 1)
    assert rows(app)[address(2)].status is OutboxStatus.RETRY
    send(app, fault_smtp, now + timedelta(minutes=2))
    assert rows(app)[address(2)].status is OutboxStatus.SENT
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_server_that_refuses_connections_leaves_everything_to_retry(app, fault_smtp):
    queue(app, 3)
    closed_port = _free_port()
    now = datetime.now(UTC)
    config = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": closed_port}
    with app.app_context():
        report = send_due_mail(db.engine, now, config=config)
    assert report.server_error and "127.0.0.1" in report.server_error
    assert report.retried == 3
    assert all(r.status is OutboxStatus.RETRY for r in rows(app).values())

    later = send(app, fault_smtp, now + timedelta(minutes=2))
    assert later.sent == 3
    assert_at_most_once_and_none_lost(app, fault_smtp)


# --------------------------------------------------------------------------- permanent failures


def test_550_for_one_recipient_fails_it_and_shows_the_reason(app, fault_smtp):
    queue(app, 4)
    fault_smtp.rcpt_replies[address(1)] = ["550 5.1.1 <person1@avesta.example>: No such user"] * 5
    now = datetime.now(UTC)

    report = send(app, fault_smtp, now)

    assert (report.sent, report.failed) == (3, 1)
    row = rows(app)[address(1)]
    assert row.status is OutboxStatus.FAILED
    assert "550 5.1.1" in (row.last_error or "") and "No such user" in (row.last_error or "")
    # never tried again on its own
    send(app, fault_smtp, now + timedelta(days=2))
    assert fault_smtp.rcpt_seen.count(address(1)) == 1
    assert_at_most_once_and_none_lost(app, fault_smtp)


# --------------------------------------------------------------------------- unknown outcome


def test_connection_lost_after_the_data_is_unknown_and_never_resent(app, fault_smtp):
    queue(app, 4)
    fault_smtp.drop_after_data.add(address(1))
    now = datetime.now(UTC)

    report = send(app, fault_smtp, now)

    assert (report.sent, report.unknown) == (3, 1)
    row = rows(app)[address(1)]
    assert row.status is OutboxStatus.UNKNOWN
    assert "after the message was sent" in (row.last_error or "")
    assert fault_smtp.copies()[address(1)] == 1  # the server did get it
    assert send(app, fault_smtp, now + timedelta(days=2)).claimed == 0
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_no_reply_within_the_timeout_after_the_data_is_unknown(app, fault_smtp):
    queue(app, 2)
    fault_smtp.slow_reply[address(0)] = 2.5
    report = send(app, fault_smtp, settings={"SMTP_TIMEOUT": 1})
    assert (report.unknown, report.sent) == (1, 1)
    assert rows(app)[address(0)].status is OutboxStatus.UNKNOWN
    assert_at_most_once_and_none_lost(app, fault_smtp)


# --------------------------------------------------------------------------- crashes and races


def _sender_process(
    app: Flask, server: FaultSmtp, *args: str, **env: str
) -> subprocess.Popen[bytes]:
    """``avestavard send-mail`` (default ``--once``) in its own process, as in production."""
    environment = {
        **os.environ,
        "AVESTAVARD_CONFIG": "testing",
        "AVESTAVARD_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "AVESTAVARD_SMTP_HOST": server.host,
        "AVESTAVARD_SMTP_PORT": str(server.port),
        # the console script's own path comes first: make sure it imports this tree
        "PYTHONPATH": str(REPO_ROOT),
        **env,
    }
    executable = os.path.join(os.path.dirname(sys.executable), "avestavard")
    command = [executable, "send-mail", *(args or ("--once",))]
    return subprocess.Popen(
        command, cwd=REPO_ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)  # also closes the pipes
    assert process.returncode == -signal.SIGKILL


def _restart_after_lease(app: Flask, server: FaultSmtp) -> str:
    """Start a new sender once the dead one's lease (1 s here) has run out."""
    time.sleep(1.2)
    process = _sender_process(app, server, AVESTAVARD_MAIL_CLAIM_LEASE_SECONDS="1")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


def test_sender_killed_while_the_server_holds_a_message_marks_it_unknown(app, fault_smtp):
    queue(app, 10)
    reached, release = threading.Event(), threading.Event()
    fault_smtp.block_at_data[address(4)] = (reached, release)

    process = _sender_process(app, fault_smtp)
    assert reached.wait(30), process.stderr.read() if process.poll() is not None else "stuck"
    _kill(process)  # kill -9 while the server has the data of message 4 and has not answered
    release.set()

    stuck = rows(app)
    assert stuck[address(3)].status is OutboxStatus.SENT  # recorded with the next mark
    assert stuck[address(4)].status is OutboxStatus.SENDING
    assert stuck[address(4)].handed_over_at is not None

    output = _restart_after_lease(app, fault_smtp)

    assert "okända" in output
    final = rows(app)
    assert final[address(4)].status is OutboxStatus.UNKNOWN
    assert "sender stopped" in (final[address(4)].last_error or "")
    assert all(final[address(i)].status is OutboxStatus.SENT for i in range(10) if i != 4)
    assert len(fault_smtp.received) == 10
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_sender_killed_before_handing_a_message_over_sends_it_after_restart(app, fault_smtp):
    queue(app, 10)
    reached, release = threading.Event(), threading.Event()
    fault_smtp.block_at_rcpt[address(4)] = (reached, release)

    process = _sender_process(app, fault_smtp)
    assert reached.wait(30), "the sender never reached message 4"
    # While it waits for a slow server the sender commits the results it holds (message 3)
    time.sleep(0.5)
    _kill(process)  # kill -9 between RCPT and DATA of message 4
    release.set()
    assert rows(app)[address(4)].handed_over_at is None

    _restart_after_lease(app, fault_smtp)

    final = rows(app)
    assert {r.status for r in final.values()} == {OutboxStatus.SENT}, {
        to: (r.status, r.last_error) for to, r in final.items()
    }
    assert len(fault_smtp.received) == 10
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_long_running_sender_keeps_sending_and_stops_cleanly_on_sigterm(app, fault_smtp):
    queue(app, 3)
    process = _sender_process(app, fault_smtp, "--interval", "0.2")
    try:
        fault_smtp.wait_for(3)
        queue(app, 2, start=3)  # queued while it runs: picked up by the next round
        fault_smtp.wait_for(5)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()
    assert "Skickade" in out.decode()
    assert {r.status for r in rows(app).values()} == {OutboxStatus.SENT}
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_sigterm_mid_batch_gives_the_unsent_rest_back(app, fault_smtp):
    queue(app, 6)
    reached, release = threading.Event(), threading.Event()
    fault_smtp.block_at_rcpt[address(2)] = (reached, release)
    process = _sender_process(app, fault_smtp, "--interval", "30")
    assert reached.wait(30), "the sender never reached message 2"
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)  # the handler has run; the sender still waits for the server
    release.set()
    _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()

    after = rows(app)
    # the message in progress was finished, the rest was given back untouched
    assert [after[address(i)].status for i in range(6)] == [OutboxStatus.SENT] * 3 + [
        OutboxStatus.QUEUED
    ] * 3
    assert all(after[address(i)].claim_token is None for i in range(3, 6))
    assert send(app, fault_smtp).sent == 3
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_a_slow_sender_whose_claim_was_taken_back_does_not_send_it_again(app, fault_smtp):
    queue(app, 4)
    reached, release = threading.Event(), threading.Event()
    fault_smtp.block_at_rcpt[address(0)] = (reached, release)
    results: list[SendReport] = []
    slow = threading.Thread(target=lambda: results.append(send(app, fault_smtp)))
    slow.start()
    assert reached.wait(10)

    # Another sender, eleven minutes later, sees the claim as dead and takes the rows back.
    fault_smtp.block_at_rcpt.clear()
    rescue = send(app, fault_smtp, datetime.now(UTC) + timedelta(minutes=11))
    assert (rescue.recovered_retry, rescue.sent) == (4, 4)

    release.set()
    slow.join(timeout=20)
    assert results and results[0].sent == 0 and results[0].skipped == 4
    assert {r.status for r in rows(app).values()} == {OutboxStatus.SENT}
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_two_senders_at_once_never_send_a_message_twice(app, fault_smtp):
    queue(app, 60, html=False)
    reports: list[SendReport] = []
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            reports.append(send(app, fault_smtp, sender_id=name, batch_size=5))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"sender-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sum(r.sent for r in reports) == 60
    assert {r.status for r in rows(app).values()} == {OutboxStatus.SENT}
    assert len(fault_smtp.received) == 60
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_the_schedulers_mail_job_sends_what_is_due(app, fault_smtp):
    from avestavard.jobs.scheduler import mail_job

    queue(app, 3)
    app.config.update(SMTP_HOST=fault_smtp.host, SMTP_PORT=fault_smtp.port)
    mail_job(app, datetime.now(UTC))
    assert {r.status for r in rows(app).values()} == {OutboxStatus.SENT}
    assert_at_most_once_and_none_lost(app, fault_smtp)


def test_send_mail_command_reports_an_unreachable_server(app, runner):
    queue(app, 1)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())
    result = runner.invoke(args=["send-mail", "--once"])
    assert result.exit_code == 1
    assert "försöker igen 1" in result.output
    assert "E-postservern gick inte att använda" in result.output
