"""TLS and log-in from the configuration, against a real aiosmtpd with a real certificate.

The certificate is made with the ``openssl`` command for 127.0.0.1 and trusted through
``SMTP_CA_FILE``: the sender verifies it like any other.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import OutboxMessage, OutboxStatus
from avestavard.services.mail import queue_mail
from avestavard.services.mail_sender import SendReport, send_due_mail

USER, PASSWORD = "avestavard", "s3cret-relay-password"


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1."""

    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """Made with the openssl command (present wherever the tests run: Debian's openssl)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command is needed for the TLS tests")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


@dataclass
class Relay:
    """What the relay saw: logins, whether TLS was on, the recipients it accepted."""

    port: int
    logins: list[str] = field(default_factory=list)
    delivered: list[tuple[str, bool]] = field(default_factory=list)  # (recipient, over TLS)


class Handler:
    """Records each message and whether it came over TLS."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def handle_DATA(self, server, session, envelope):
        for to in envelope.rcpt_tos:
            self.relay.delivered.append((to, session.ssl is not None))
        return "250 OK"


def _authenticator(relay: Relay) -> Any:
    def authenticate(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode()
        ok = login == USER and auth_data.password.decode() == PASSWORD
        if ok:
            relay.logins.append(login)
        # handled=False: aiosmtpd answers 535 itself
        return AuthResult(success=ok, handled=False)

    return authenticate


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    return context


@pytest.fixture
def starttls_relay(certificate: Certificate) -> Iterator[Relay]:
    """A relay on port 587 style: STARTTLS required, then AUTH required."""
    relay = Relay(port=_free_port())
    controller = Controller(
        Handler(relay),
        hostname="127.0.0.1",
        port=relay.port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticator(relay),
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


@pytest.fixture
def implicit_tls_relay(certificate: Certificate) -> Iterator[Relay]:
    """A relay on port 465 style: TLS from the first byte (SMTP_SSL)."""
    relay = Relay(port=_free_port())
    controller = Controller(
        Handler(relay),
        hostname="127.0.0.1",
        port=relay.port,
        ssl_context=_server_context(certificate),
        authenticator=_authenticator(relay),
        # aiosmtpd counts only STARTTLS as TLS: here the whole connection is TLS already
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


@pytest.fixture
def plain_relay() -> Iterator[Relay]:
    """A relay that offers no TLS at all."""
    relay = Relay(port=_free_port())
    controller = Controller(Handler(relay), hostname="127.0.0.1", port=relay.port)
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


def _queue(app: Flask, count: int = 2) -> None:
    with app.app_context():
        for i in range(count):
            queue_mail(
                db.session, key=f"tls:{i}", to=f"p{i}@avesta.example", subject="Hej", text="Hej"
            )
        db.session.commit()


def _send(app: Flask, relay: Relay, certificate: Certificate, **settings: Any) -> SendReport:
    config = {
        **app.config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": relay.port,
        "SMTP_CA_FILE": str(certificate.cert),
        **settings,
    }
    with app.app_context():
        return send_due_mail(db.engine, datetime.now(UTC), config=config)


def _statuses(app: Flask) -> set[OutboxStatus]:
    with app.app_context():
        return set(db.session.scalars(select(OutboxMessage.status)))


def test_starttls_and_login_from_the_configuration(app, starttls_relay, certificate):
    _queue(app)
    report = _send(
        app,
        starttls_relay,
        certificate,
        SMTP_STARTTLS=True,
        SMTP_USERNAME=USER,
        SMTP_PASSWORD=PASSWORD,
    )
    assert (report.sent, report.server_error) == (2, None)
    assert starttls_relay.logins == [USER]  # one connection, one login
    assert starttls_relay.delivered == [("p0@avesta.example", True), ("p1@avesta.example", True)]


def test_implicit_tls_from_the_configuration(app, implicit_tls_relay, certificate):
    _queue(app)
    report = _send(
        app,
        implicit_tls_relay,
        certificate,
        SMTP_SSL=True,
        SMTP_USERNAME=USER,
        SMTP_PASSWORD=PASSWORD,
    )
    assert (report.sent, report.server_error) == (2, None)
    assert implicit_tls_relay.logins == [USER]
    assert [to for to, _ in implicit_tls_relay.delivered] == [
        "p0@avesta.example",
        "p1@avesta.example",
    ]


def test_a_wrong_password_keeps_the_mail_for_later(app, starttls_relay, certificate):
    _queue(app)
    report = _send(
        app,
        starttls_relay,
        certificate,
        SMTP_STARTTLS=True,
        SMTP_USERNAME=USER,
        SMTP_PASSWORD="wrong",
    )
    assert report.server_error and "535" in report.server_error
    assert report.retried == 2 and starttls_relay.delivered == []
    assert _statuses(app) == {OutboxStatus.RETRY}
    # fixed configuration: the next run (after the backoff) delivers everything
    later = _send(
        app,
        starttls_relay,
        certificate,
        SMTP_STARTTLS=True,
        SMTP_USERNAME=USER,
        SMTP_PASSWORD=PASSWORD,
    )
    assert later.sent == 0  # not due yet
    with app.app_context():
        config = {
            **app.config,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": starttls_relay.port,
            "SMTP_CA_FILE": str(certificate.cert),
            "SMTP_STARTTLS": True,
            "SMTP_USERNAME": USER,
            "SMTP_PASSWORD": PASSWORD,
        }
        due = send_due_mail(db.engine, datetime.now(UTC) + timedelta(minutes=2), config=config)
    assert due.sent == 2


def test_starttls_asked_for_but_not_offered_sends_nothing_in_plain_text(
    app, plain_relay, certificate
):
    _queue(app)
    report = _send(app, plain_relay, certificate, SMTP_STARTTLS=True)
    assert report.server_error and "STARTTLS" in report.server_error
    assert plain_relay.delivered == []
    assert _statuses(app) == {OutboxStatus.RETRY}


def test_an_untrusted_certificate_is_refused(app, starttls_relay, certificate):
    _queue(app)
    report = _send(
        app,
        starttls_relay,
        certificate,
        SMTP_STARTTLS=True,
        SMTP_USERNAME=USER,
        SMTP_PASSWORD=PASSWORD,
        SMTP_CA_FILE="",  # only the system's CAs: our self-signed certificate is not among them
    )
    assert report.server_error and "CERTIFICATE_VERIFY_FAILED" in report.server_error
    assert starttls_relay.delivered == [] and starttls_relay.logins == []
