"""The whole match path in Chromium, with a real SMTP server and the outbox sender:

a newcomer registers and confirms, a coordinator approves the proposed host, the host gets the
email and clicks accept (no log-in), the newcomer gets the introduction, and the coordinator
sees the match as introduced. axe-core checks each match page on the way.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, axe_violations, format_violations
from tests.integration.matches_support import add_host, add_newcomer, body_text, deliver, links_in

pytestmark = pytest.mark.browser


def _no_violations(page):
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def _coordinator_to_match(page, live_server, make_user):
    """Sign in as a coordinator and open "Att matcha"."""
    coordinator = make_user("coordinator", email="samordnare@avesta.example")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(coordinator.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.get_by_role("link", name="Att matcha", exact=True).click()


def test_newcomer_to_introduction(app, live_server, page, browser, smtp_server, make_user):
    app.config["PUBLIC_BASE_URL"] = live_server.url
    add_host(
        app,
        "Karin Berg",
        email="karin.berg@avesta.example",
        phone="+46701234567",
        languages=("sv", "en"),
        interests=("fiske", "vandring", "stickning"),
        area="Fors",
    )

    # 1. The newcomer registers on the public page and confirms by email.
    page.goto(f"{live_server.url}/register")
    page.get_by_label("Namn", exact=True).fill("Olena Shevchenko")
    page.get_by_label("Födelseår").fill("1988")
    page.get_by_label("Familj med barn").check()
    page.get_by_label("E-postadress").fill("olena@example.org")
    page.get_by_label("Område").select_option("Fors")
    page.get_by_label("Ukrainska").check()
    page.get_by_label("Engelska").check()
    page.get_by_label("Intressen").fill("fiske, stickning, vandring")
    page.get_by_label("Hur ser ditt liv ut nu?").fill("Jag bor i Fors med min son.")
    page.get_by_label("Jag har läst hur mina personuppgifter behandlas").check()
    page.get_by_role("button", name="Skicka anmälan").click()
    page.wait_for_url("**/register/thanks?via=email")
    deliver(app, smtp_server)
    [confirmation] = smtp_server.wait_for(1)
    assert confirmation["To"] == "olena@example.org"
    confirm_link = re.search(r"https?://\S+/register/confirm/\S+", body_text(confirmation))
    assert confirm_link is not None
    page.goto(confirm_link.group(0))
    page.get_by_role("button", name="Bekräfta anmälan").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Anmälan är bekräftad"

    # 2. A coordinator computes the proposals and approves the proposed host.
    _coordinator_to_match(page, live_server, make_user)
    assert "Olena Shevchenko" in page.locator("main").inner_text()
    page.get_by_role("button", name="Beräkna förslag igen").click()
    section = page.locator("section.to-match", has_text="Olena Shevchenko")
    assert "Föreslagen värd: Karin Berg" in section.inner_text()
    assert "fiske" in section.inner_text()  # the matcher's reason
    _no_violations(page)
    section.get_by_role("link", name="Godkänn Karin för Olena").click()
    page.wait_for_url("**/approve")
    _no_violations(page)
    page.get_by_role("button", name="Skicka", exact=True).click()
    page.wait_for_url("**/coordinator/matches/*")
    assert page.locator("#match-state").inner_text() == "Skickad till värden"
    _no_violations(page)

    # 3. The host receives the email on the SMTP server and accepts, without logging in.
    deliver(app, smtp_server)
    host_mail = smtp_server.wait_for(2)[1]
    assert host_mail["To"] == "karin.berg@avesta.example"
    assert host_mail["Subject"] == "Vill du bli AvestaVärd för Olena?"
    assert "Shevchenko" not in body_text(host_mail)
    accept_link, _decline_link = links_in(host_mail)
    host_context = browser.new_context(locale="sv-SE")
    try:
        host_page = host_context.new_page()
        host_page.goto(accept_link)
        assert host_page.get_by_role("heading", level=1).inner_text() == (
            "Vill du bli AvestaVärd för Olena?"
        )
        _no_violations(host_page)
        host_page.get_by_role("button", name="Ja, jag vill bli AvestaVärd för Olena").click()
        assert host_page.get_by_role("heading", level=1).inner_text() == "Tack för ditt svar"
        # the link worked once
        host_page.goto(accept_link)
        assert host_page.get_by_role("heading", level=1).inner_text() == "Redan besvarat"
    finally:
        host_context.close()

    # 4. The newcomer receives the introduction with the host's first name and contact.
    deliver(app, smtp_server)
    introduction = smtp_server.wait_for(3)[2]
    assert introduction["To"] == "olena@example.org"
    assert introduction["Subject"] == "Möt din AvestaVärd Karin"
    text = body_text(introduction)
    assert "karin.berg@avesta.example" in text and "+46701234567" in text

    # 5. The coordinator sees the match as introduced.
    page.get_by_role("link", name="Matchningar", exact=True).click()
    page.get_by_label("Läge").select_option("introduced")
    with page.expect_navigation():
        page.get_by_role("button", name="Visa").click()
    assert "state=introduced" in page.url
    introduced = page.locator("#match-list")
    assert "Karin Berg" in introduced.inner_text()
    assert "Olena Shevchenko" in introduced.inner_text()
    _no_violations(page)
    introduced.get_by_role("link", name="Karin Berg").click()
    assert page.locator("#match-state").inner_text() == "Introducerad"
    assert len(smtp_server.messages) == 3


def test_match_pages_are_accessible(app, live_server, page, browser, make_user):
    from datetime import timedelta

    from avestavard.extensions import db
    from avestavard.models import utcnow
    from avestavard.models.matches import MatchFollowUp, MatchProposal
    from avestavard.services import matches as service
    from tests.integration.matches_support import add_newcomer, recompute, settings, system

    host_user = make_user("host", email="karin.berg@avesta.example")
    host = add_host(app, user_email=host_user.email)
    add_host(app, "Lars Holm", email="lars@avesta.example", interests=("fiske", "schack"))
    newcomer = add_newcomer(app, preferred_language="ar")
    waiting = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    earlier = utcnow() - timedelta(days=40)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=earlier, settings=settings(app)
        )
        service.host_accept(db.session, system(), match.id, now=earlier, settings=settings(app))
        service.send_follow_ups(db.session, utcnow(), settings(app))
        db.session.commit()
        follow_up = db.session.query(MatchFollowUp).filter_by(side="newcomer").one()
        follow_up_path = (
            f"/matchning/uppfoljning/{service.follow_up_token(settings(app), follow_up)}"
        )
        match_id = match.id
    recompute(app, utcnow())
    with app.app_context():
        proposal = db.session.query(MatchProposal).filter_by(newcomer_id=waiting).first()
        assert proposal is not None
        proposal_id = proposal.id

    # The newcomer's follow-up page, in Arabic (right to left), and its error state.
    page.goto(f"{live_server.url}{follow_up_path}?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    _no_violations(page)
    page.get_by_role("button", name="أرسل الإجابة").click()
    page.wait_for_selector("#error-summary")
    _no_violations(page)
    page.get_by_label("نعم").check()
    page.get_by_label("4").check()
    page.get_by_role("button", name="أرسل الإجابة").click()
    assert page.get_by_role("heading", level=1).inner_text() == "شكراً على إجابتك"
    page.goto(f"{live_server.url}{follow_up_path}")
    assert page.locator("#link-problem").get_attribute("data-kind") == "used"
    _no_violations(page)

    # The host's own pages.
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-postadress").fill(host_user.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.goto(f"{live_server.url}/host/matches")
    _no_violations(page)
    page.get_by_role("link", name="Amira").click()
    assert "Amira" in page.get_by_role("heading", level=1).inner_text()
    _no_violations(page)
    page.goto(f"{live_server.url}/host/newcomers/{newcomer}")
    _no_violations(page)

    # The coordinator's pages that the main path does not visit.
    context = browser.new_context(locale="sv-SE")
    try:
        coordinator_page = context.new_page()
        coordinator = make_user("coordinator", email="samordnare@avesta.example")
        coordinator_page.goto(f"{live_server.url}/login")
        coordinator_page.get_by_label("E-postadress").fill(coordinator.email)
        coordinator_page.get_by_label("Lösenord").fill(PASSWORD)
        coordinator_page.get_by_role("button", name="Logga in").click()
        for path in (
            f"/coordinator/proposals/{proposal_id}/reject",
            f"/coordinator/to-match/{waiting}/hosts",
            f"/coordinator/matches/{match_id}/end",
            "/coordinator/matches",
        ):
            coordinator_page.goto(f"{live_server.url}{path}")
            _no_violations(coordinator_page)
        # the reject form's error state
        coordinator_page.goto(f"{live_server.url}/coordinator/proposals/{proposal_id}/reject")
        coordinator_page.get_by_role("button", name="Avvisa förslaget").click()
        coordinator_page.wait_for_selector("#error-summary")
        assert coordinator_page.locator("#reason-error").is_visible()
        _no_violations(coordinator_page)
    finally:
        context.close()


def test_a_guessed_interest_is_shown_with_the_word_it_came_from(app, live_server, page, make_user):
    # "symfoni" is no term: it is only guessed to be music, by its trigrams. The coordinator
    # sees the word beside the interest on "Att matcha", to judge the guess.
    add_host(app, "Karin Berg", interests=("symfoni", "golf"), area="Krylbo")
    add_newcomer(app, "Amira Haddad", interests=("musik", "golf"))
    _coordinator_to_match(page, live_server, make_user)
    page.get_by_role("button", name="Beräkna förslag igen").click()
    section = page.locator("section.to-match", has_text="Amira Haddad")
    assert "Föreslagen värd: Karin Berg" in section.inner_text()
    assert "(”symfoni” tolkat som musik)" in section.inner_text()
    _no_violations(page)
    # A wrong or doubtful guess is taught right from there.
    section.get_by_role("link", name="Lär matchningen vad ”symfoni” betyder").first.click()
    assert page.locator("h1").inner_text() == "Matchningens ord"
    assert page.locator("#word").input_value() == "symfoni"
