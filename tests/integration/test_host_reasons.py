"""The reasons a pair fits, written to the host (and to the newcomer) in their own language:
"Ni gillar båda fiske" in the host's email, on the host's match page and in the newcomer's
introduction, never the coordinators' third-person wording."""

from __future__ import annotations

import html

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import utcnow
from avestavard.models.matches import Match
from avestavard.services import matches as service
from tests.conftest import login
from tests.integration.matches_support import (
    NOW,
    add_host,
    add_newcomer,
    body_html,
    body_text,
    deliver,
    open_proposal,
    recompute,
    settings,
    system,
)

COORDINATOR_WORDS = ("Båda gillar", "Both like", "Önskemål uppfyllt", "Wish met")


def _approved(app, *, host_language: str, user_email: str) -> tuple[int, int]:
    host = add_host(
        app, interests=("fiske", "körsång"), preferred_language=host_language, user_email=user_email
    )
    newcomer = add_newcomer(app, interests=("fiske", "matlagning"))
    recompute(app, NOW)
    proposal = open_proposal(app, newcomer, host)
    app.config["MAIL_HOLD_SECONDS"] = 0
    with app.app_context():
        match = service.approve_match(
            db.session, system(), proposal, now=utcnow(), settings=settings(app)
        )
        db.session.commit()
        return match.id, newcomer


def test_the_host_reads_the_reasons_in_swedish(app, client, make_user, smtp_server):
    user = make_user("host", email="karin.berg@avesta.example")
    match_id, newcomer = _approved(app, host_language="sv", user_email=user.email)
    with app.app_context():
        match = db.session.get(Match, match_id)
        assert match is not None
        assert any(code["code"] == "shared_interests" for code in match.reason_codes)
    deliver(app, smtp_server)
    [mail] = smtp_server.wait_for(1)
    text, page_html = body_text(mail), html.unescape(body_html(mail))
    assert "Ni gillar båda fiske" in text and "Ni gillar båda fiske" in page_html
    assert "Ni bor båda i Krylbo" in text
    assert not any(word in text + page_html for word in COORDINATOR_WORDS)

    login(client, user.email)
    page = html.unescape(client.get(f"/host/matches/{match_id}").get_data(as_text=True))
    assert "Därför tror vi att ni passar ihop" in page
    assert "Ni gillar båda fiske" in page
    assert not any(word in page for word in COORDINATOR_WORDS)

    # The newcomer's introduction speaks to them the same way.
    with app.app_context():
        service.host_accept(db.session, system(), match_id, now=utcnow(), settings=settings(app))
        db.session.commit()
    deliver(app, smtp_server)
    introduction = next(m for m in smtp_server.wait_for(2) if m["To"] != mail["To"])
    assert "Ni gillar båda fiske" in body_text(introduction)
    assert not any(word in body_text(introduction) for word in COORDINATOR_WORDS)
    with app.app_context():
        assert db.session.scalar(select(Match.newcomer_id).where(Match.id == match_id)) == newcomer


def test_the_host_reads_the_reasons_in_english(app, client, make_user, smtp_server):
    user = make_user("host", email="karin.berg@avesta.example")
    match_id, _newcomer = _approved(app, host_language="en", user_email=user.email)
    deliver(app, smtp_server)
    [mail] = smtp_server.wait_for(1)
    assert mail["Content-Language"] == "en"
    text = body_text(mail)
    assert "You both enjoy fishing" in text and "You both live in Krylbo" in text
    assert "Ni gillar" not in text
    assert not any(word in text for word in COORDINATOR_WORDS)

    login(client, user.email)
    page = html.unescape(client.get(f"/host/matches/{match_id}?lang=en").get_data(as_text=True))
    assert "You both enjoy fishing" in page
    assert "Ni gillar" not in page and "Båda gillar" not in page


def test_the_preview_shows_the_reasons_as_the_host_will_read_them(app):
    host = add_host(app, interests=("fiske", "körsång"))
    newcomer = add_newcomer(app, interests=("fiske", "matlagning"))
    recompute(app, NOW)
    with app.app_context():
        mail = service.preview_host_mail(
            db.session, system(), newcomer, host, now=utcnow(), settings=settings(app)
        )
        assert mail is not None
        assert "Ni gillar båda fiske" in mail.text
        assert "Båda gillar" not in mail.text
