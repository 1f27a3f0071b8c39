"""Shared fixtures: a real database (SQLite file or PostgreSQL), the app, a client, a login
helper, a real SMTP server (aiosmtpd) and a real browser (Debian's Chromium via Playwright).

The database is migrated once per session with Alembic; after each test every table is emptied.
Tests see real commits: nothing here turns commits into flushes.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import Base, Role

PASSWORD = "correct-horse-battery"


# --------------------------------------------------------------------------- database


def _backend() -> str:
    return os.environ.get("AVESTAVARD_TEST_DB", "sqlite")


def new_database_url(tmp_dir: Path, name: str = "") -> str:
    """A fresh, empty database on the backend under test (for migration and isolation tests)."""
    if _backend() == "postgres":
        server_url = sa.make_url(os.environ["AVESTAVARD_TEST_DATABASE_URL"])
        db_name = f"avestavard_{name or 'x'}_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
        engine.dispose()
        return server_url.set(database=db_name).render_as_string(hide_password=False)
    file_name = f"{name or 'db'}-{uuid.uuid4().hex[:8]}.sqlite3"
    return f"sqlite:///{tmp_dir / file_name}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The database of this test session, migrated to head once."""
    url = new_database_url(tmp_path_factory.mktemp("db"), "test")
    app = create_app("testing", {"DATABASE_URL": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its ``app``."""
    return {}


@pytest.fixture
def app(database_url: str, app_overrides: dict[str, Any]) -> Iterator[Flask]:
    """The application bound to the session database; tables are emptied afterwards.

    No app context is left pushed during the test: each request gets its own, as in
    production (a shared one would leak ``g``, the logged-in user and the locale between
    requests). Use ``with app.app_context():`` to read the database in a test.
    """
    application = create_app("testing", {"DATABASE_URL": database_url, **app_overrides})
    yield application
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (CSRF on, as in production)."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner for ``avestavard`` commands."""
    return app.test_cli_runner()


# --------------------------------------------------------------------------- users


@dataclass(frozen=True)
class MadeUser:
    """What a test needs to know about a user it created."""

    id: int
    email: str
    role: str
    password_hash: str


@pytest.fixture
def make_user(app: Flask) -> Callable[..., MadeUser]:
    """Create and commit a user: ``make_user("host", email=...)``; password is ``PASSWORD``."""
    from avestavard.services.users import create_user

    def factory(role: str = "coordinator", email: str | None = None, name: str = "") -> MadeUser:
        with app.app_context():
            user = create_user(
                db.session,
                email=email or f"{role}-{uuid.uuid4().hex[:6]}@avesta.example",
                password=PASSWORD,
                role=Role(role),
                name=name,
            )
            db.session.commit()
            return MadeUser(user.id, user.email, user.role.value, user.password_hash)

    return factory


def csrf_token_from(html: str) -> str:
    """The CSRF token in a rendered form."""
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no csrf_token in page"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Log in through the real form, CSRF token included."""
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def coordinator_client(client: FlaskClient, make_user: Callable[..., MadeUser]) -> FlaskClient:
    """A client logged in as a coordinator."""
    user = make_user("coordinator", email="samordnare@avesta.example")
    assert login(client, user.email).status_code == 302
    return client


# --------------------------------------------------------------------------- SMTP


@dataclass
class SmtpSink:
    """A real SMTP server (aiosmtpd) in a thread; ``messages`` holds what it accepted."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)
    # Hooks a test can set to answer a message with an error: fn(envelope) -> str | None
    reply_hook: Callable[[Any], str | None] | None = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least ``count`` messages arrived."""
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.reply_hook is not None:
            reply = self.sink.reply_hook(envelope)
            if reply:
                return reply
        self.sink.envelopes.append(envelope)
        self.sink.messages.append(
            message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """Start aiosmtpd on a free loopback port for one test."""
    from aiosmtpd.controller import Controller

    port = _free_port()
    sink = SmtpSink(host="127.0.0.1", port=port)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


# --------------------------------------------------------------------------- browser


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def log_in_browser(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    """Log in through the real form in the browser; fails when the log-in page stays."""
    page.goto(f"{base}/login")
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()
    # Waits for the navigation away from the form; a failed log-in stays on it.
    try:
        page.wait_for_url(lambda url: urlsplit(url).path != "/login", timeout=5_000)
    except Exception as exc:  # Playwright's TimeoutError
        raise AssertionError(f"{email} could not log in") from exc


@dataclass
class LiveServer:
    """The app served over real HTTP on a loopback port."""

    app: Flask
    url: str


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve ``app`` with werkzeug in a thread (threaded, like a real server)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run scripts/install-system-deps")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page for one test."""
    context = browser.new_context(locale="sv-SE")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    try:
        yield pg
    finally:
        context.close()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page; return the WCAG 2.1 A/AA violations (empty list is good).

    axe-core (as packaged by axe-playwright-python) is injected once per document, and only the
    violations are collected and sent back: the passes would cost more than the checks.
    """
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    violations: list[dict[str, Any]] = page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)", options
    )
    return violations


def format_violations(violations: list[dict[str, Any]]) -> str:
    """A readable summary for assertion messages."""
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)
