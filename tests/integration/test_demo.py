"""`avestavard demo`: a Monday morning of the programme, loaded only into an empty database.

The first test loads the demo through the command, as `make run` does, and looks at it as the
coordinator and the demo host would, logging in with the credentials the command printed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from avestavard.demo import DemoSettings, load_demo
from avestavard.extensions import db
from avestavard.models import (
    AuditAction,
    AuditEvent,
    Host,
    HostInterest,
    Newcomer,
    NewcomerInterest,
    NewcomerStatus,
    OutboxMessage,
    OutboxStatus,
    User,
)
from avestavard.models.letters import Letter, LetterBatch, LetterChannel, LetterHousehold
from avestavard.models.matches import Match, MatchFollowUp, MatchProposal, MatchState
from avestavard.models.notes import Note
from avestavard.services.calendar_months import add_months
from avestavard.services.figures import Period, compute_figures
from tests.conftest import MadeUser, login

# A Monday morning (UTC).
NOW = datetime(2026, 11, 30, 7, 45, tzinfo=UTC)
LOGIN_LINE = re.compile(
    r"Demo-inloggning \((?P<role>[^)]+)\):\s+(?P<email>\S+) / (?P<password>\S+)"
)
REFUSED = "Databasen har redan data: demodata lästes inte in."


def _logins(output: str) -> dict[str, tuple[str, str]]:
    return {m["role"]: (m["email"], m["password"]) for m in LOGIN_LINE.finditer(output)}


def _count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _log_in_as(client: FlaskClient, email: str, password: str) -> None:
    response = login(client, email, password)
    assert response.status_code == 302, f"log-in as {email} failed"


def test_demo_loads_into_an_empty_database_and_shows_every_part(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demodata inläst: 30 värdar, 30 nyinflyttade" in result.output
    logins = _logins(result.output)
    assert set(logins) == {"samordnare", "administratör", "värd"}

    with app.app_context():
        host_names = db.session.scalars(select(Host.name)).all()
        waiting = db.session.scalars(
            select(Newcomer.name).where(Newcomer.status == NewcomerStatus.WAITING)
        ).all()
        # Every profile's interests are linked to canonical interests, not only typed words.
        assert all(host.interests for host in db.session.scalars(select(Host)))
        assert all(n.interests for n in db.session.scalars(select(Newcomer)))
        assert _count(HostInterest) > 30 and _count(NewcomerInterest) > 30
        states = {m.state for m in db.session.scalars(select(Match))}
        # Approved and undone are the few minutes of the mail hold; every lasting state is shown.
        assert states >= set(MatchState) - {MatchState.APPROVED, MatchState.UNDONE}
        declined = db.session.scalars(select(Match).where(Match.state == MatchState.DECLINED)).one()
        declined_host, declined_newcomer = declined.host.name, declined.newcomer.name
        assert declined.decline_reason
        refused = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
        ).one()
        unknown = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.UNKNOWN)
        ).one()
        refused_to, unknown_to = refused.to_address, unknown.to_address
        # Today's run has its print batch; the earlier months' runs had theirs.
        batches = db.session.scalars(select(LetterBatch).order_by(LetterBatch.run_date)).all()
        assert len(batches) >= 12 and batches[-1].run_date > batches[-2].run_date
        batch_id, batch_letters = batches[-1].id, batches[-1].letter_count
        assert _count(LetterHousehold) == 60
        linked = db.session.scalars(
            select(LetterHousehold).where(LetterHousehold.newcomer_id.is_not(None))
        ).all()
        assert sorted(h.is_linked_by_hand for h in linked) == [False, True]

    client = app.test_client()
    _log_in_as(client, *logins["samordnare"])

    overview = _page(client, "/coordinator/")
    assert all(name in overview for name in host_names)

    to_match = _page(client, "/coordinator/to-match")
    assert all(name in to_match for name in waiting)
    approve_buttons = re.findall(r"/coordinator/proposals/\d+/approve", to_match)
    assert len(approve_buttons) >= len(waiting)
    assert "Föreslagen värd" in to_match
    # The newcomer whose host said no waits again; the coordinator sees who declined.
    section = to_match.split(declined_newcomer, 1)[1]
    assert "Har tackat nej:" in section.split("</section>", 1)[0]
    assert declined_host in section.split("</section>", 1)[0]

    # The coordinator's note on Ahmed Ali (no email: introduced by phone) is on his page.
    with app.app_context():
        ahmed = db.session.scalars(select(Newcomer.id).where(Newcomer.name == "Ahmed Ali")).one()
        assert _count(Note) == 3
    person = _page(client, f"/coordinator/newcomers/{ahmed}")
    assert "Ahmed har ingen e-post. Ringer honom om värden" in person
    assert "Sam Ordnare" in person

    matches = _page(client, "/coordinator/matches")
    flagged = matches.split('class="list flagged"', 1)[1].split("</table>", 1)[0]
    assert "Dawit Tesfay" in flagged
    assert "<strong>Nej</strong>" in flagged and "<strong>2</strong>" in flagged
    assert "James Smith" not in flagged  # fit 5: nothing to look at

    letters = _page(client, "/coordinator/letters")
    assert f"/coordinator/letters/batches/{batch_id}/pdf" in letters
    pdf = client.get(f"/coordinator/letters/batches/{batch_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == batch_letters

    # Siffror: the letters chart has welcome letters in every month of the last year, of each
    # stage, counted in the month of their run.
    today = date.today()
    start = add_months(today.replace(day=1), -11)
    figures = _page(client, f"/coordinator/figures?period=custom&from={start}&to={today}")
    table = figures.split('data-chart="letters"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr><th scope="row">[^<]*</th>(.*?)</tr>', table)
    per_month = [[int(v) for v in re.findall(r"<td>(\d+)</td>", row)] for row in rows]
    assert len(per_month) == 12 and all(len(stages) == 3 for stages in per_month)
    assert sum(1 for stages in per_month if sum(stages)) >= 11, per_month
    assert all(any(stages[i] for stages in per_month) for i in range(3)), per_month
    chart = client.get(f"/coordinator/figures/chart/letters.svg?from={start}&to={today}")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml"

    outbox = _page(client, "/coordinator/outbox")
    failed_section = outbox.split('id="failed"', 1)[1].split("</section>", 1)[0]
    assert refused_to in failed_section and "550 5.1.1" in failed_section
    unknown_section = outbox.split('id="unknown"', 1)[1].split("</section>", 1)[0]
    assert unknown_to in unknown_section

    host_client = app.test_client()
    _log_in_as(host_client, *logins["värd"])
    own = _page(host_client, "/host/matches")
    assert "Olena" in own and "Väntar på ditt svar" in own
    match_id = re.search(r"/host/matches/(\d+)", own)
    assert match_id is not None
    detail = _page(host_client, f"/host/matches/{match_id[1]}")
    assert "Ja, jag vill bli AvestaVärd för Olena" in detail
    assert "Nej, det passar inte just nu" in detail

    admin_client = app.test_client()
    _log_in_as(admin_client, *logins["administratör"])
    accounts = _page(admin_client, "/admin/users")
    assert all(email in accounts for email, _ in logins.values())

    # Loading again is refused and changes nothing; the logins are still shown.
    with app.app_context():
        before = (_count(User), _count(Host), _count(OutboxMessage), _count(AuditEvent))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and REFUSED in again.output
    assert set(_logins(again.output)) == {"samordnare", "administratör", "värd"}
    with app.app_context():
        assert (_count(User), _count(Host), _count(OutboxMessage), _count(AuditEvent)) == before


def _add_newcomer() -> None:
    db.session.add(Newcomer(name="Anna Exempel", email="anna@example.org"))
    db.session.commit()


@pytest.mark.parametrize("in_use_by", ["account", "newcomer"])
def test_demo_is_refused_on_a_database_in_use(
    app: Flask, runner: Any, make_user: Callable[..., MadeUser], in_use_by: str
) -> None:
    if in_use_by == "account":
        make_user("coordinator", email="samordnare@kommun.example")
    else:
        with app.app_context():
            _add_newcomer()

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert REFUSED in result.output
    # No demo logins for a database that is not the demo's.
    assert _logins(result.output) == {}
    with app.app_context():
        assert _count(User) == (1 if in_use_by == "account" else 0)
        assert _count(Newcomer) == (0 if in_use_by == "account" else 1)
        for model in (Host, Match, MatchProposal, LetterHousehold, Letter, OutboxMessage):
            assert _count(model) == 0, model.__name__


def _fingerprint() -> dict[str, list[tuple[Any, ...]]]:
    """The demo's content without database ids (PostgreSQL does not reuse them)."""
    session = db.session
    return {
        "hosts": sorted(
            (
                h.name,
                h.email,
                h.capacity,
                h.status,
                tuple(sorted(i.interest.slug for i in h.interests)),
            )
            for h in session.scalars(select(Host))
        ),
        "newcomers": sorted(
            (n.name, n.status, n.registered_at, n.updated_at, n.moved_in)
            for n in session.scalars(select(Newcomer))
        ),
        "matches": sorted(
            (m.host.name, m.newcomer.name, m.state, m.score, m.approved_at, m.updated_at)
            for m in session.scalars(select(Match))
        ),
        "proposals": sorted(
            (p.newcomer.name, p.host.name, p.rank, p.score, p.status, p.computed_at)
            for p in session.scalars(select(MatchProposal))
        ),
        "follow_ups": sorted(
            (f.match.newcomer.name, f.side, f.answered_at, f.met, f.fit)
            for f in session.scalars(select(MatchFollowUp))
        ),
        "outbox": sorted(
            (m.to_address, m.subject, m.status, m.created_at, m.last_error or "")
            for m in session.scalars(select(OutboxMessage))
        ),
        "letters": sorted(
            (letter.household.street, letter.stage, letter.channel, letter.language or "")
            for letter in session.scalars(select(Letter))
        ),
        "audit": sorted(
            # "host 7 via emailed link": the label names an id.
            (e.action, e.subject_type, e.at, re.sub(r"\d+", "#", e.actor_label))
            for e in session.scalars(select(AuditEvent))
        ),
    }


def test_demo_is_dated_from_now_and_the_same_every_time(app: Flask) -> None:
    settings = DemoSettings.from_config(app.config)
    with app.app_context():
        # Few households: the print batch (PDF) is the slow part and not what is tested here.
        first = load_demo(db.session, now=NOW, settings=settings, households=4)
        assert first is not None and first.households == 4
        fingerprint = _fingerprint()
        db.session.rollback()
        assert load_demo(db.session, now=NOW, settings=settings, households=4) == first
        assert _fingerprint() == fingerprint

        # Every step happened at a time counted back from NOW, none after it.
        audit_times = db.session.scalars(select(AuditEvent.at)).all()
        assert max(audit_times) == NOW
        assert min(audit_times) >= NOW - timedelta(days=400)
        for match in db.session.scalars(select(Match)):
            assert match.created_at == match.approved_at < NOW
            assert match.approved_at <= match.updated_at < NOW
        karin = db.session.scalars(select(Match).join(Host).where(Host.name == "Karin Berg")).one()
        assert karin.state == MatchState.HOST_NOTIFIED
        assert karin.host.user is not None and karin.host.user.email == "vard@avesta.example"
        assert all(m.created_at <= NOW for m in db.session.scalars(select(OutboxMessage)))
        email_letter = db.session.scalars(
            select(Letter).where(Letter.channel == LetterChannel.EMAIL)
        ).one()
        assert email_letter.created_at == NOW and email_letter.run_date == NOW.date()
        # The earlier letters ran on the first day of a month, when its register extract came.
        earlier = db.session.execute(
            select(Letter.run_date, Letter.created_at, LetterHousehold.created_at)
            .join(LetterHousehold, Letter.household_id == LetterHousehold.id)
            .where(Letter.run_date < NOW.date())
        ).all()
        assert earlier, "no letters before today"
        for run_date, created_at, imported_at in earlier:
            assert run_date.day == 1
            assert created_at == datetime.combine(run_date, time(5), tzinfo=UTC)
            assert imported_at <= created_at
        # The notes were written before NOW, each logged when it was written.
        notes = db.session.scalars(select(Note)).all()
        assert len(notes) == 3 and all(note.created_at < NOW for note in notes)
        written = db.session.scalars(
            select(AuditEvent.at).where(AuditEvent.action == AuditAction.NOTE_CREATE)
        ).all()
        assert sorted(written) == sorted(note.created_at for note in notes)
        # The introduced pair of about 40 days ago got its follow-up a month later.
        answered = db.session.scalars(select(MatchFollowUp).where(MatchFollowUp.fit == 2)).one()
        assert answered.met is False
        introduced_at = answered.match.introduced_at
        assert introduced_at is not None
        assert timedelta(days=35) < NOW - introduced_at < timedelta(days=45)
        db.session.rollback()


def test_demo_gives_the_figures_months_of_history(app: Flask) -> None:
    """Every month of the last year and a half has registrations; most have matches and first
    meetings, each counted on its own date (the charts of Siffror have something to show)."""
    settings = DemoSettings.from_config(app.config)
    with app.app_context():
        created = load_demo(db.session, now=NOW, settings=settings, households=4)
        assert created is not None and created.earlier_newcomers > 40
        period = Period(date(2025, 5, 1), NOW.date())
        figures = compute_figures(db.session, period, stages=[1, 2, 3], today=NOW.date())
        months = figures["by_month"]
        assert len(months) == 19
        assert all(m["registered"] > 0 for m in months), months
        assert sum(1 for m in months if m["approved"]) >= 15
        assert sum(1 for m in months if m["met"]) >= 12
        assert sum(1 for m in months if m["wait_median_days"] is not None) >= 12
        # the earlier newcomers have left: they neither wait nor hold a host's place
        assert figures["matches"]["ended"] >= created.earlier_newcomers
        assert figures["newcomers"]["waiting"] == _count_waiting()
        # one newcomer paused yesterday evening: counted as paused, without proposals
        assert figures["newcomers"]["paused"] == 1
        paused = db.session.scalars(
            select(Newcomer).where(Newcomer.status == NewcomerStatus.PAUSED)
        ).one()
        assert paused.paused_at == datetime.combine(
            NOW.date() - timedelta(days=1), time(19, 20), tzinfo=UTC
        )
        assert not db.session.scalars(
            select(MatchProposal).where(MatchProposal.newcomer_id == paused.id)
        ).all()
        db.session.rollback()


def _count_waiting() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Newcomer)
            .where(Newcomer.status == NewcomerStatus.WAITING)
        )
        or 0
    )
