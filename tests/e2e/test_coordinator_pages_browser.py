"""The coordinators' and hosts' everyday pages in Chromium, checked with axe-core (WCAG 2.1
A/AA, colour contrast included), with real data on them: people created through the services,
proposals from the matcher, a match, a host login made with a set-password link, and an outbox
with one refused and one uncertain message from a real (misbehaving) SMTP server.

Also: approving a proposal with the keyboard alone (Tab and Enter).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import HouseholdType, OutboxMessage, OutboxStatus, User
from avestavard.models.matches import MatchProposal, ProposalStatus
from avestavard.services.accounts import AccountSettings
from avestavard.services.mail import queue_mail
from avestavard.services.mail_sender import send_due_mail
from avestavard.services.matches import MatchSettings, approve_match, recompute_proposals
from avestavard.services.newcomer_intake import register_newcomer_by_coordinator
from avestavard.services.profiles import (
    HostProfileInput,
    NewcomerProfileInput,
    create_host_account,
    save_host_interview,
)
from tests.conftest import axe_violations, format_violations, log_in_browser

pytestmark = pytest.mark.browser

COORDINATOR = "samordnare@avesta.example"
REFUSED = "finns-inte@avesta.example"
DROPPED = "tappad@avesta.example"
HOST_PASSWORD = "en lång mening som lösenord"


# --------------------------------------------------------------------------- a misbehaving SMTP


class _Handler:
    """Refuses REFUSED (550) and hangs up after DROPPED's data; accepts the rest."""

    def __init__(self) -> None:
        self.dropped = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if DROPPED in envelope.rcpt_tos and not self.dropped:
            self.dropped = True
            server.transport.close()
        return "250 OK"


@pytest.fixture
def troubled_smtp() -> Iterator[tuple[str, int]]:
    """The SMTP server the outbox is delivered to, on a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    controller = Controller(_Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class World:
    """Ids of what the pages show."""

    karin: int  # a host with a login and an approved match
    lars: int
    amira: int  # matched with Karin
    olena: int  # waits, with an open proposal
    match: int
    password_path: str  # Karin's set-password link


def _host(name: str, email: str, area: str, interests: list[str], **extra: Any) -> HostProfileInput:
    return HostProfileInput(
        name=name,
        email=email,
        phone="070-612 31 00" if name.startswith("Karin") else None,
        birth_year=1964,
        area=area,
        household=HouseholdType.COUPLE,
        languages=["sv", "en"],
        interests=interests,
        past="Uppvuxen i Krylbo, arbetat på bruket.",
        present="Pensionär, sjunger i kör.",
        future="Vill visa nya Avestabor Dalälven.",
        thoughts="En gång i månaden passar bra.",
        capacity=2,
        interviewer="Kerstin Lind",
        interviewed_on=date(2026, 10, 12),
        **extra,
    )


def _newcomer(name: str, email: str, area: str, interests: list[str]) -> NewcomerProfileInput:
    return NewcomerProfileInput(
        name=name,
        email=email,
        phone=None,
        moved_in=date(2026, 9, 1),
        area=area,
        household=HouseholdType.FAMILY,
        birth_year=1988,
        preferred_language="en",
        languages=["ar", "en"],
        interests=interests,
        present="Jag lär mig svenska.",
        wishes="Gärna en familj med barn.",
    )


def build_world(app: Flask, smtp: tuple[str, int]) -> World:
    """Hosts, newcomers, proposals, a match, a host login and a troubled outbox."""
    now = datetime.now(UTC)
    match_settings = MatchSettings.from_config(app.config)
    with app.app_context():
        coordinator = db.session.scalar(select(User).where(User.email == COORDINATOR))
        hosts = [
            save_host_interview(
                db.session,
                coordinator,
                _host("Karin Berg", "karin.berg@avesta.example", "Krylbo", ["fiske", "körsång"]),
            ),
            save_host_interview(
                db.session,
                coordinator,
                _host("Lars Holm", "lars.holm@avesta.example", "Fors", ["schack", "fiske"]),
            ),
        ]
        newcomers = [
            register_newcomer_by_coordinator(
                db.session,
                coordinator,
                _newcomer(name, email, area, interests),
                now=now,
                privacy_notice_version=str(app.config["PRIVACY_NOTICE_VERSION"]),
            )
            for name, email, area, interests in (
                ("Amira Haddad", "amira@example.org", "Krylbo", ["fiske", "matlagning"]),
                ("Olena Shevchenko", "olena@example.org", "Fors", ["schack", "stickning"]),
            )
        ]
        karin, lars = hosts
        amira, olena = newcomers
        recompute_proposals(db.session, now)
        proposal = db.session.scalar(
            select(MatchProposal).where(
                MatchProposal.newcomer_id == amira.id, MatchProposal.host_id == karin.id
            )
        )
        assert proposal is not None, "the matcher did not propose Karin for Amira"
        match = approve_match(
            db.session, coordinator, proposal.id, now=now, settings=match_settings
        )
        link = create_host_account(
            db.session,
            coordinator,
            karin.id,
            email=None,
            now=now,
            settings=AccountSettings.from_config(app.config),
        )
        for i, to in enumerate((REFUSED, DROPPED)):
            queue_mail(db.session, key=f"e2e:{i}", to=to, subject=f"Ny matchning {i}", text="Hej!")
        world = World(
            karin=karin.id,
            lars=lars.id,
            amira=amira.id,
            olena=olena.id,
            match=match.id,
            password_path=re.sub(r"^https?://[^/]+", "", link.url),
        )
        db.session.commit()
        host, port = smtp
        config = {**app.config, "SMTP_HOST": host, "SMTP_PORT": port}
        report = send_due_mail(db.engine, datetime.now(UTC), config=config)
        assert (report.failed, report.unknown) == (1, 1), report
    return world


# --------------------------------------------------------------------------- helpers


@dataclass
class Audit:
    """axe-core results per page, reported together so one run shows every problem."""

    found: dict[str, list[dict[str, Any]]]

    def check(self, page: Any, name: str) -> None:
        """Run axe-core on the page as it is now."""
        assert page.locator("h1").count() == 1, f"{name}: one main heading"
        violations = axe_violations(page)
        if violations:
            self.found[name] = violations

    def assert_clean(self) -> None:
        """Fail with every page's violations."""
        report = "\n".join(f"{name}:\n{format_violations(v)}" for name, v in self.found.items())
        assert not self.found, report


@pytest.fixture
def world(app: Flask, make_user: Any, live_server: Any, troubled_smtp: Any) -> World:
    """The data, with links pointing at the live server."""
    app.config["PUBLIC_BASE_URL"] = live_server.url
    make_user("coordinator", email=COORDINATOR, name="Kerstin Lind")
    return build_world(app, troubled_smtp)


# --------------------------------------------------------------------------- the tests


def test_coordinator_pages_pass_axe(live_server, page, world):
    base = live_server.url
    audit = Audit({})
    log_in_browser(page, base, COORDINATOR)

    page.goto(f"{base}/coordinator/")
    assert "Karin Berg" in page.locator("main").inner_text()
    assert "Olena Shevchenko" in page.locator("main").inner_text()
    audit.check(page, "start page")
    page.get_by_label("Sök bland värdar, nyinflyttade och hushåll").fill("Olena")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url("**/coordinator/?q=Olena")
    audit.check(page, "start page, searched")

    page.goto(f"{base}/coordinator/outbox")
    assert REFUSED in page.locator("#failed").inner_text()
    assert "550" in page.locator("#failed").inner_text()
    assert DROPPED in page.locator("#unknown").inner_text()
    audit.check(page, "outbox")

    page.goto(f"{base}/coordinator/to-match")
    section = page.locator("section.to-match", has_text="Olena Shevchenko")
    assert "Lars Holm" in section.inner_text()
    # The fit in words, the newcomer's wish verbatim with how it was read for this host.
    proposal = section.locator(".proposal")
    assert "Passning: " in proposal.inner_text()
    assert "Olena önskar" in proposal.inner_text()
    wish = proposal.locator("li.wish", has_text="Gärna en familj med barn")
    assert wish.inner_text().endswith("– inte uppfyllt av Lars")
    audit.check(page, "to match")
    parts = proposal.locator("details.fit-parts")
    assert not parts.locator("dl").is_visible()
    parts.locator("summary").focus()
    page.keyboard.press("Enter")
    assert parts.get_by_text("Gemensamma intressen").is_visible()
    audit.check(page, "to match, parts of the fit shown")

    page.goto(f"{base}/coordinator/matches")
    assert "Amira Haddad" in page.locator("main").inner_text()
    audit.check(page, "matches")

    page.goto(f"{base}/coordinator/matches/{world.match}")
    assert page.locator("#match-state").inner_text() == "Skickad till värden"
    audit.check(page, "match detail")

    page.goto(f"{base}/coordinator/hosts/{world.karin}")
    assert "karin.berg@avesta.example" in page.locator("main").inner_text()
    audit.check(page, "host detail (with a login)")

    page.goto(f"{base}/coordinator/hosts/{world.lars}")
    assert page.get_by_role("heading", name="Skapa inloggning för värden").is_visible()
    audit.check(page, "host detail (no login yet)")
    page.get_by_role("button", name="Skapa inloggning").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Inloggningen är skapad"
    assert "/password/" in page.get_by_label("Länk för att välja lösenord").input_value()
    audit.check(page, "host login created")

    page.goto(f"{base}/coordinator/newcomers/{world.olena}")
    assert "Olena Shevchenko" in page.get_by_role("heading", level=1).inner_text()
    audit.check(page, "newcomer detail")

    page.goto(f"{base}/coordinator/imports")
    audit.check(page, "import upload")
    page.get_by_role("button", name="Visa vad som skulle importeras").click()
    page.wait_for_load_state()
    audit.check(page, "import upload without a file")

    page.goto(f"{base}/coordinator/hosts/new")
    audit.check(page, "new host")
    page.get_by_label("E-postadress").fill("karin@")
    page.get_by_label("Kan ta emot (antal nyinflyttade)").fill("40")
    page.get_by_role("button", name="Spara").click()
    page.wait_for_load_state()
    assert page.locator("#name-error").is_visible()
    assert page.locator("#email-error").is_visible()
    audit.check(page, "new host with errors")

    audit.assert_clean()


def test_host_sets_a_password_and_uses_their_pages(live_server, page, world):
    base = live_server.url
    audit = Audit({})

    page.goto(f"{base}{world.password_path}")
    audit.check(page, "set password")
    page.get_by_label("Nytt lösenord", exact=True).fill(HOST_PASSWORD)
    page.get_by_label("Nytt lösenord igen").fill(HOST_PASSWORD + "!")
    page.get_by_role("button", name="Spara lösenordet").click()
    assert page.locator("#password_again-error").is_visible()
    audit.check(page, "set password with an error")
    page.get_by_label("Nytt lösenord", exact=True).fill(HOST_PASSWORD)
    page.get_by_label("Nytt lösenord igen").fill(HOST_PASSWORD)
    page.get_by_role("button", name="Spara lösenordet").click()
    page.wait_for_url("**/login")

    log_in_browser(page, base, "karin.berg@avesta.example", HOST_PASSWORD)
    page.goto(f"{base}/host/")
    audit.check(page, "host start page")
    page.goto(f"{base}/host/profile")
    assert "Uppvuxen i Krylbo, arbetat på bruket." in page.locator("main").inner_text()
    audit.check(page, "host profile")
    page.goto(f"{base}/host/profile/edit")
    audit.check(page, "host profile edit")
    page.goto(f"{base}/host/matches")
    assert "Amira" in page.locator("main").inner_text()
    audit.check(page, "host matches")
    page.get_by_role("link", name="Amira").first.click()
    page.wait_for_load_state()
    audit.check(page, "host match")

    audit.assert_clean()


def test_a_proposal_is_approved_with_the_keyboard_alone(app, live_server, page, world):
    base = live_server.url
    log_in_browser(page, base, COORDINATOR)
    page.goto(f"{base}/coordinator/to-match")
    with app.app_context():
        proposal = db.session.scalar(
            select(MatchProposal)
            .where(
                MatchProposal.newcomer_id == world.olena,
                MatchProposal.status == ProposalStatus.OPEN,
            )
            .order_by(MatchProposal.rank)
        )
        assert proposal is not None
        host_first_name = proposal.host.name.split()[0]
    target = f"Godkänn {host_first_name} för Olena"

    # From the top of the page, Tab until the approve button has the focus.
    page.locator("body").focus()
    focused = ""
    for _ in range(80):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.innerText.trim()")
        if focused == target:
            break
    assert focused == target, "the approve button cannot be reached with Tab"
    # The focus is visible (WCAG 2.4.7): the focused button has an outline.
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline[0] != "none" and outline[1] != "0px", outline

    page.keyboard.press("Enter")
    page.wait_for_url("**/approve")
    # The host's email is shown before it is sent.
    assert "Vill du bli AvestaVärd för Olena?" in page.locator("#preview-subject").inner_text()
    page.get_by_role("button", name="Skicka", exact=True).click()
    page.wait_for_url("**/coordinator/matches/*")
    assert page.locator("#match-state").inner_text() == "Skickad till värden"
    assert "Olena Shevchenko" in page.locator("main").inner_text()
    with app.app_context():
        decided = db.session.get(MatchProposal, proposal.id)
        assert decided is not None and decided.status == ProposalStatus.APPROVED
        # The proposed host's email waits in the outbox.
        mail = db.session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.subject == "Vill du bli AvestaVärd för Olena?"
            )
        )
        assert mail is not None and mail.status == OutboxStatus.QUEUED
