"""The follow-up a month after the introduction: due on the right day, sent once, and poor fits
and no-meetings shown on the coordinators' page."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from avestavard.extensions import db
from avestavard.models import OutboxMessage
from avestavard.models.matches import MatchFollowUp
from avestavard.services import matches as service
from tests.integration.matches_support import add_host, add_newcomer, settings, system


def _introduced(app, at, newcomer_name="Amira Haddad", email="amira.haddad@example.org", **kw):
    host = add_host(app, f"Värd {newcomer_name}", email=f"h-{email}", **kw)
    newcomer = add_newcomer(app, newcomer_name, email=email)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=at, settings=settings(app)
        )
        service.host_accept(db.session, system(), match.id, now=at, settings=settings(app))
        db.session.commit()
        return match.id


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    at = datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert service.add_months(at, 1) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert service.add_months(datetime(2026, 12, 15, tzinfo=UTC), 1) == datetime(
        2027, 1, 15, tzinfo=UTC
    )


def test_follow_up_is_due_one_calendar_month_after_the_introduction_and_sent_once(app):
    match_id = _introduced(app, datetime(2026, 1, 31, 10, tzinfo=UTC))
    with app.app_context():
        day_before = datetime(2026, 2, 28, 9, 59, tzinfo=UTC)
        assert service.send_follow_ups(db.session, day_before, settings(app)) == 0
        due = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)
        assert service.send_follow_ups(db.session, due, settings(app)) == 2
        db.session.commit()
        # the nightly job runs again, or twice by mistake: nothing new
        assert service.send_follow_ups(db.session, due, settings(app)) == 0
        assert service.send_follow_ups(db.session, datetime(2026, 6, 1, tzinfo=UTC)) == 0
        db.session.commit()
        keys = set(db.session.scalars(select(OutboxMessage.idempotency_key)))
        assert {f"match:{match_id}:follow-up:host", f"match:{match_id}:follow-up:newcomer"} <= keys
        assert len(db.session.scalars(select(MatchFollowUp)).all()) == 2


def test_side_without_email_is_not_asked(app):
    host = add_host(app, email=None)
    newcomer = add_newcomer(app)
    at = datetime(2026, 1, 10, tzinfo=UTC)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=at, settings=settings(app)
        )
        service.host_accept(db.session, system(), match.id, now=at, settings=settings(app))
        sent = service.send_follow_ups(db.session, datetime(2026, 3, 1, tzinfo=UTC), settings(app))
        db.session.commit()
        assert sent == 1
        [follow_up] = db.session.scalars(select(MatchFollowUp)).all()
        assert follow_up.side.value == "newcomer"


def test_poor_fits_and_no_meetings_are_highlighted_for_coordinators(app, coordinator_client):
    at = datetime(2026, 1, 10, tzinfo=UTC)
    good = _introduced(app, at, "Olena Shevchenko", "olena@example.org")
    poor = _introduced(app, at, "Yusuf Ali", "yusuf@example.org")
    never = _introduced(app, at, "Mina Rahimi", "mina@example.org")
    later = datetime(2026, 2, 11, tzinfo=UTC)
    with app.app_context():
        service.send_follow_ups(db.session, later, settings(app))
        db.session.commit()
        tokens = {
            (f.match_id, f.side.value): service.follow_up_token(settings(app), f)
            for f in db.session.scalars(select(MatchFollowUp))
        }
        answers = {good: (True, 5), poor: (True, 1), never: (False, None)}
        for match_id, (met, fit) in answers.items():
            service.record_follow_up_answer(
                db.session,
                tokens[(match_id, "newcomer")],
                met=met,
                fit=fit,
                now=later,
                settings=settings(app),
            )
        db.session.commit()
    page = coordinator_client.get("/coordinator/matches").get_data(as_text=True)
    flagged = page[page.index("Behöver uppmärksamhet") : page.index("</table>")]
    assert "Yusuf Ali" in flagged and "Mina Rahimi" in flagged
    assert "Olena Shevchenko" not in flagged
    assert "3 av 6 frågor besvarade." in page
    detail = coordinator_client.get(f"/coordinator/matches/{poor}").get_data(as_text=True)
    assert "passform 1 av 5" in detail and 'class="flag"' in detail
