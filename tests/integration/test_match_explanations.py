""" "Att matcha" explains the matcher: a fit in words, the score's parts, reasons worded from
stored codes (naming who got the better host and why), and the newcomer's wishes verbatim with
how each was read for the proposed host."""

from __future__ import annotations

import html

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import Newcomer
from avestavard.models.matches import MatchProposal
from tests.integration.matches_support import NOW, add_host, add_newcomer, recompute


def _setup(app) -> tuple[int, int, int, int]:
    karin = add_host(app, languages=("sv", "ar"), interests=("fiske", "bandy", "körsång"))
    per = add_host(
        app,
        "Per Lind",
        email="per.lind@avesta.example",
        phone=None,
        languages=("sv",),
        interests=("fiske", "bandy", "körsång"),
        area="Fors",
    )
    amira = add_newcomer(app, languages=("ar",), interests=("fiske",), waiting_days=5)
    sara = add_newcomer(
        app,
        "Sara Ek",
        email="sara.ek@example.org",
        phone=None,
        languages=("sv",),
        interests=("fiske", "bandy", "körsång"),
        waiting_days=20,
    )
    with app.app_context():
        newcomer = db.session.get(Newcomer, amira)
        assert newcomer is not None
        newcomer.wishes = "Gärna en familj med barn. Inte i Fors. Bor gärna nära ån"
        db.session.commit()
    recompute(app, NOW)
    return karin, per, amira, sara


def test_to_match_explains_fit_reasons_and_wishes(app, coordinator_client) -> None:
    _karin, per, amira, sara = _setup(app)
    with app.app_context():
        stored = {(p.newcomer_id, p.host_id): p for p in db.session.scalars(select(MatchProposal))}
        sara_per = stored[(sara, per)]
        assert sara_per.is_assigned
        codes = [c["code"] for c in sara_per.reason_codes]
        assert codes[0] == "best_host_elsewhere"
        assert sara_per.reason_codes[0]["params"]["other_newcomer"] == str(amira)
        # Naming reasons are never stored as text (a name could outlive an erasure).
        assert not any(str(amira) in r or "Amira" in r for r in sara_per.reasons_sv)
        assert set(sara_per.components) == {
            "interests",
            "text",
            "age",
            "household",
            "area",
            "wishes",
        }

    page = html.unescape(coordinator_client.get("/coordinator/to-match").get_data(as_text=True))
    assert (
        "Karin passar Sara bäst men föreslås för Amira, som inte har någon annan värd som "
        "talar arabiska" in page
    )
    assert "Passning: " in page and " av 100)" in page
    assert "poäng" not in page
    assert "Vad passningen består av" in page and "Gemensamma intressen" in page
    amira_part = page.split("Amira Haddad", 1)[1].split("Sara Ek", 1)[0]
    assert "Amira önskar" in amira_part
    assert "<q>Gärna en familj med barn</q> – uppfyllt av Karin" in amira_part
    assert "<q>Inte i Fors</q> – uppfyllt av Karin" in amira_part
    assert "<q>Bor gärna nära ån</q> – <strong>inte förstått – läs själv</strong>" in amira_part


def test_to_match_in_english(app, coordinator_client) -> None:
    _setup(app)
    page = html.unescape(
        coordinator_client.get("/coordinator/to-match?lang=en").get_data(as_text=True)
    )
    assert "Fit: " in page and "What the fit is made of" in page
    assert (
        "Karin fits Sara best but is proposed for Amira, who has no other host who speaks "
        "Arabic" in page
    )
    assert "Both like bandy, choir singing and fishing" in page
    assert "not understood – read it yourself" in page
