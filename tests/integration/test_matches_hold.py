"""Approving with a hold: the host's email waits in the outbox (a time on the row), can be undone,
and is never sent once cancelled. Fault cases on the real database (SQLite file and PostgreSQL)
with a real SMTP server: the sender running during the hold, a restart during the hold, and an
undo racing the sender."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from avestavard import create_app
from avestavard.errors import Conflict
from avestavard.extensions import db
from avestavard.models import AuditEvent, Newcomer, NewcomerStatus, OutboxStatus
from avestavard.models.matches import MatchProposal, MatchState, ProposalStatus
from avestavard.services import matches as service
from avestavard.services.mail_sender import send_due_mail
from tests.integration.matches_support import (
    NOW,
    add_host,
    add_newcomer,
    body_text,
    deliver,
    links_in,
    open_proposal,
    outbox,
    recompute,
    settings,
    system,
    the_match,
    to_path,
)

HOLD = timedelta(seconds=600)


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"MAIL_HOLD_SECONDS": 600}


def _approve(app: Flask, note: str = "") -> tuple[int, int, int]:
    host = add_host(app)
    newcomer = add_newcomer(app)
    recompute(app)
    proposal = open_proposal(app, newcomer, host)
    with app.app_context():
        match = service.approve_match(
            db.session, system(), proposal, now=NOW, settings=settings(app), note=note
        )
        db.session.commit()
        return match.id, newcomer, host


def test_the_held_mail_waits_then_goes_with_the_note(app, smtp_server):
    match_id, _newcomer, _host = _approve(app, note="Hej Karin!\nAmira fiskar gärna, som du.")
    [row] = outbox(app)
    assert row.status == OutboxStatus.QUEUED
    assert row.held_until == NOW + HOLD

    # The sender runs during the hold: nothing is claimed, nothing reaches the server.
    report = deliver(app, smtp_server, now=NOW + HOLD - timedelta(seconds=1))
    assert report.claimed == 0 and smtp_server.messages == []
    assert the_match(app, _newcomer).state == MatchState.HOST_NOTIFIED

    # No answer link works during the hold, and nobody can answer for the host.
    with app.app_context():
        match = db.session.get(service.Match, match_id)
        assert match is not None
        token = service.answer_token(settings(app), match, "accept")
        with pytest.raises(service.LinkProblem) as problem:
            service.check_answer_link(
                db.session, token, now=NOW + timedelta(seconds=30), settings=settings(app)
            )
        assert problem.value.kind == "invalid"
        with pytest.raises(Conflict):
            service.host_accept(
                db.session,
                system(),
                match_id,
                now=NOW + timedelta(seconds=30),
                settings=settings(app),
            )
        db.session.rollback()

    # After the hold the email goes, with the note, and its links work from then on.
    report = deliver(app, smtp_server, now=NOW + HOLD)
    assert report.sent == 1
    [mail] = smtp_server.wait_for(1)
    text = body_text(mail)
    assert "Hej Karin!\nAmira fiskar gärna, som du." in text
    accept, _decline = links_in(mail)
    with app.app_context():
        link = service.check_answer_link(
            db.session,
            to_path(accept).split("/")[-1].split("?")[0],
            now=NOW + HOLD + timedelta(minutes=1),
            settings=settings(app),
        )
        assert link.action == "accept"
        assert link.match.answer_expires_at == NOW + HOLD + timedelta(days=14)


def test_undo_cancels_the_mail_frees_the_place_and_is_not_a_rejection(app, smtp_server):
    match_id, newcomer, host = _approve(app)
    with app.app_context():
        service.undo_approval(db.session, system(), match_id, now=NOW + timedelta(minutes=5))
        db.session.commit()
    [row] = outbox(app)
    assert row.status == OutboxStatus.CANCELLED
    assert deliver(app, smtp_server, now=NOW + timedelta(days=1)).claimed == 0
    assert smtp_server.messages == []
    match = the_match(app, newcomer)
    assert match.state == MatchState.UNDONE and not match.is_active
    with app.app_context():
        assert db.session.get(Newcomer, newcomer).status == NewcomerStatus.WAITING
        proposal = db.session.scalar(select(MatchProposal).where(MatchProposal.host_id == host))
        assert proposal is not None and proposal.status == ProposalStatus.OPEN
        actions = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "match", AuditEvent.subject_id == match_id)
            .order_by(AuditEvent.id)
        ).all()
        assert "approve" in actions and actions[-1] == "undo-approve"
    # The pair may be proposed and approved again: the host's place is free.
    recompute(app, NOW + timedelta(minutes=6))
    again = open_proposal(app, newcomer, host)
    with app.app_context():
        second = service.approve_match(
            db.session, system(), again, now=NOW + timedelta(minutes=6), settings=settings(app)
        )
        db.session.commit()
        assert second.id != match_id and second.state == MatchState.HOST_NOTIFIED


def test_undo_after_the_hold_is_refused(app, smtp_server):
    match_id, _newcomer, _host = _approve(app)
    with app.app_context(), pytest.raises(Conflict):
        service.undo_approval(db.session, system(), match_id, now=NOW + HOLD)
    assert deliver(app, smtp_server, now=NOW + HOLD).sent == 1


def test_a_restart_during_the_hold_keeps_it(app, database_url, smtp_server):
    _match_id, newcomer, _host = _approve(app)
    with app.app_context():
        db.engine.dispose()
    # A new process: a fresh app and engine, nothing kept in memory.
    restarted = create_app("testing", {"DATABASE_URL": database_url, "MAIL_HOLD_SECONDS": 600})
    config = {**restarted.config, "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port}
    with restarted.app_context():
        report = send_due_mail(db.engine, NOW + timedelta(minutes=9), config=config)
        assert report.claimed == 0
        report = send_due_mail(db.engine, NOW + HOLD, config=config)
        assert report.sent == 1
        db.engine.dispose()
    assert len(smtp_server.wait_for(1)) == 1
    assert the_match(app, newcomer).state == MatchState.HOST_NOTIFIED


def test_an_undo_after_the_sender_claimed_the_mail_is_refused(app, smtp_server):
    """The sender's clock says the hold is over, the coordinator's does not: the outbox row
    decides. The undo comes while the sender holds its claim and is refused; the mail is sent."""
    match_id, newcomer, _host = _approve(app)
    refused: list[Conflict] = []
    calls = 0

    def undo_while_claimed() -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:  # the batch is claimed, nothing handed over yet
            assert [r.status for r in outbox(app)] == [OutboxStatus.SENDING]
            with app.app_context():
                try:
                    service.undo_approval(
                        db.session, system(), match_id, now=NOW + HOLD - timedelta(seconds=1)
                    )
                except Conflict as exc:
                    refused.append(exc)
                db.session.rollback()
        return False

    config = {**app.config, "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port}
    with app.app_context():
        report = send_due_mail(db.engine, NOW + HOLD, config=config, stop=undo_while_claimed)
    assert len(refused) == 1 and report.sent == 1
    assert [r.status for r in outbox(app)] == [OutboxStatus.SENT]
    assert the_match(app, newcomer).state == MatchState.HOST_NOTIFIED
    assert len(smtp_server.wait_for(1)) == 1


def test_undo_racing_the_sender_never_ends_sent_and_cancelled(app, smtp_server):
    """Undo and sender at the same moment, several rounds: each round ends with exactly one of
    the two, and the SMTP server has a message exactly when the row says sent."""
    config = {**app.config, "SMTP_HOST": smtp_server.host, "SMTP_PORT": smtp_server.port}
    rounds = 6
    for number in range(rounds):
        host = add_host(app, f"Värd {number}", email=f"vard{number}@avesta.example")
        newcomer = add_newcomer(app, f"Ny {number}", email=f"ny{number}@example.org")
        with app.app_context():
            match = service.assign_other_host(
                db.session, system(), newcomer, host, now=NOW, settings=settings(app)
            )
            db.session.commit()
            match_id = match.id
        barrier = threading.Barrier(2)
        outcome: dict[str, Any] = {}

        def undo(
            match_id: int = match_id,
            outcome: dict[str, Any] = outcome,
            barrier: threading.Barrier = barrier,
        ) -> None:
            with app.app_context():
                barrier.wait()
                try:
                    service.undo_approval(
                        db.session, system(), match_id, now=NOW + HOLD - timedelta(seconds=1)
                    )
                    db.session.commit()
                    outcome["undone"] = True
                except Conflict:
                    db.session.rollback()
                    outcome["undone"] = False
                finally:
                    db.session.remove()

        def send(outcome: dict[str, Any] = outcome, barrier: threading.Barrier = barrier) -> None:
            with app.app_context():
                barrier.wait()
                outcome["report"] = send_due_mail(db.engine, NOW + HOLD, config=config)

        threads = [threading.Thread(target=undo), threading.Thread(target=send)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        [row] = [r for r in outbox(app) if r.to_address == f"vard{number}@avesta.example"]
        state = the_match(app, newcomer).state
        if outcome["undone"]:
            assert row.status == OutboxStatus.CANCELLED and state == MatchState.UNDONE
            assert outcome["report"].sent == 0
        else:
            assert row.status == OutboxStatus.SENT and state == MatchState.HOST_NOTIFIED
            assert outcome["report"].sent == 1
    sent = [r for r in outbox(app) if r.status == OutboxStatus.SENT]
    if sent:
        smtp_server.wait_for(len(sent))
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(r.to_address for r in sent)
