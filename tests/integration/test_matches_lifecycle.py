"""The match lifecycle as coordinators and hosts meet it: proposals, approval, rejection, the
host's answer, introduction, meeting, ending; every step timestamped and audit-logged, and
illegal steps refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from avestavard.errors import Conflict
from avestavard.extensions import db
from avestavard.models import AuditEvent, HostStatus, Newcomer, NewcomerStatus, utcnow
from avestavard.models.matches import Match, MatchProposal, MatchState, ProposalStatus
from avestavard.services import matches as service
from tests.conftest import csrf_token_from
from tests.integration.matches_support import (
    NOW,
    add_host,
    add_newcomer,
    open_proposal,
    outbox,
    recompute,
    settings,
    system,
    the_match,
)


def _post(client, path, data=None, page="/coordinator/to-match"):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def test_to_match_lists_waiting_newcomers_oldest_first_with_proposal_and_reasons(
    app, coordinator_client
):
    host = add_host(app)
    newer = add_newcomer(app, "Olena Shevchenko", email="olena@example.org", waiting_days=2)
    older = add_newcomer(app, "Amira Haddad", waiting_days=20)
    add_newcomer(app, "Ej Bekräftad", email="x@example.org", status=NewcomerStatus.UNCONFIRMED)
    page = coordinator_client.get("/coordinator/to-match").get_data(as_text=True)
    assert "Inga förslag är beräknade ännu." in page
    response = _post(coordinator_client, "/coordinator/to-match/recompute")
    assert response.status_code == 302
    page = coordinator_client.get("/coordinator/to-match").get_data(as_text=True)
    assert page.index("Amira Haddad") < page.index("Olena Shevchenko")
    assert "Ej Bekräftad" not in page
    assert "Karin Berg" in page and "Godkänn Karin för Amira" in page
    assert "fiske" in page  # the matcher's reason names the shared interest
    with app.app_context():
        rows = db.session.scalars(select(MatchProposal)).all()
        assert {(p.newcomer_id, p.host_id) for p in rows} >= {(older, host), (newer, host)}
        assert all(p.reasons_sv and p.reasons_en for p in rows if p.host_id == host)


def test_approve_makes_the_match_and_emails_the_host_only_what_they_need(app, coordinator_client):
    host = add_host(app)
    newcomer = add_newcomer(app)
    recompute(app)
    proposal = open_proposal(app, newcomer, host)
    response = _post(coordinator_client, f"/coordinator/proposals/{proposal}/approve")
    assert response.status_code == 302
    match = the_match(app, newcomer)
    assert response.headers["Location"].endswith(f"/coordinator/matches/{match.id}")
    assert match.state == MatchState.HOST_NOTIFIED
    assert match.proposed_at is not None and match.approved_at and match.host_notified_at
    assert match.reasons_sv  # the reasons travel with the match
    [mail] = outbox(app)
    assert mail.idempotency_key.startswith(f"match:{match.id}:host-notified")
    assert mail.to_address == "karin.berg@avesta.example"
    assert mail.subject == "Vill du bli AvestaVärd för Amira?"
    assert mail.body_html is not None
    for text in (mail.body_text, mail.body_html):
        assert "Amira" in text
        assert "fiske" in text and "bandy" in text  # interests
        assert "arabiska" in text and "engelska" in text  # languages, in Swedish
        assert "Krylbo" in text and "Familj med barn" in text  # area, household
        # never the full profile or contact details
        for secret in ("Haddad", "amira.haddad@example.org", "+46709876543", "Damaskus", "1988"):
            assert secret not in text
    assert mail.body_text.count("/matchning/svar/") == 2
    with app.app_context():
        assert db.session.get(Newcomer, newcomer).status == NewcomerStatus.MATCHED
        proposal_row = db.session.get(MatchProposal, proposal)
        assert proposal_row.status == ProposalStatus.APPROVED
        actions = set(
            db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.subject_type == "match", AuditEvent.subject_id == match.id
                )
            )
        )
        assert {"approve", "notify-host"} <= actions
    # the newcomer no longer waits
    assert "Amira Haddad" not in coordinator_client.get("/coordinator/to-match").get_data(
        as_text=True
    )


def test_host_who_chose_english_gets_the_email_in_english(app):
    host = add_host(app, preferred_language="en")
    newcomer = add_newcomer(app)
    recompute(app)
    with app.app_context():
        service.approve_match(
            db.session,
            system(),
            open_proposal(app, newcomer, host),
            now=NOW,
            settings=settings(app),
        )
        db.session.commit()
    [mail] = outbox(app)
    assert mail.subject == "Would you like to be an AvestaVärd host for Amira?"
    assert "Arabic" in mail.body_text and "Family with children" in mail.body_text
    assert "Yes, I would like to be" in mail.body_text
    assert mail.headers.get("Content-Language") == "en"


def test_rejected_pair_is_never_proposed_again(app, coordinator_client):
    host = add_host(app)
    newcomer = add_newcomer(app)
    recompute(app)
    proposal = open_proposal(app, newcomer, host)
    # a reason is required, and the form says so next to the field
    empty = _post(
        coordinator_client,
        f"/coordinator/proposals/{proposal}/reject",
        {"reason": "  "},
        page=f"/coordinator/proposals/{proposal}/reject",
    )
    assert empty.status_code == 422
    assert "Skriv varför förslaget inte passar." in empty.get_data(as_text=True)
    response = _post(
        coordinator_client,
        f"/coordinator/proposals/{proposal}/reject",
        {"reason": "Bor för långt ifrån varandra"},
        page=f"/coordinator/proposals/{proposal}/reject",
    )
    assert response.status_code == 302
    recompute(app)
    recompute(app)
    with app.app_context():
        rows = db.session.scalars(
            select(MatchProposal).where(MatchProposal.newcomer_id == newcomer)
        ).all()
        assert [(r.host_id, r.status) for r in rows] == [(host, ProposalStatus.REJECTED)]
        assert rows[0].reject_reason == "Bor för långt ifrån varandra"
        # nor can it be picked by hand
        assert service.available_hosts(db.session, system(), newcomer) == []
        with pytest.raises(Conflict):
            service.assign_other_host(
                db.session, system(), newcomer, host, now=NOW, settings=settings(app)
            )
    page = coordinator_client.get("/coordinator/to-match").get_data(as_text=True)
    assert "Inget förslag just nu" in page


def test_recomputing_never_overwrites_a_decision_and_is_safe_to_run_twice(app):
    hosts = [add_host(app, f"Värd{i} Berg", email=f"v{i}@avesta.example") for i in range(3)]
    first = add_newcomer(app)
    second = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    recompute(app)
    with app.app_context():
        before = {
            (p.newcomer_id, p.host_id): (p.score, p.status)
            for p in db.session.scalars(select(MatchProposal))
        }
        approved = db.session.scalar(
            select(MatchProposal).where(
                MatchProposal.newcomer_id == first, MatchProposal.is_assigned.is_(True)
            )
        )
        service.approve_match(db.session, system(), approved.id, now=NOW, settings=settings(app))
        rejected = db.session.scalar(
            select(MatchProposal).where(
                MatchProposal.newcomer_id == second, MatchProposal.status == ProposalStatus.OPEN
            )
        )
        service.reject_proposal(db.session, system(), rejected.id, "Passar inte", now=NOW)
        db.session.commit()
        decided = {(approved.id, approved.computed_at), (rejected.id, rejected.computed_at)}
    later = NOW.replace(hour=23)
    recompute(app, later)
    with app.app_context():
        snapshot_1 = sorted(
            (p.newcomer_id, p.host_id, p.status.value, p.score, p.computed_at)
            for p in db.session.scalars(select(MatchProposal))
        )
        for proposal_id, computed_at in decided:
            row = db.session.get(MatchProposal, proposal_id)
            assert row.computed_at == computed_at  # untouched
        assert db.session.get(MatchProposal, approved.id).status == ProposalStatus.APPROVED
        assert db.session.get(MatchProposal, rejected.id).status == ProposalStatus.REJECTED
        # the matched newcomer has no open proposals left; the other kept theirs
        assert not db.session.scalars(
            select(MatchProposal).where(
                MatchProposal.newcomer_id == first, MatchProposal.status == ProposalStatus.OPEN
            )
        ).all()
    recompute(app, later)
    with app.app_context():
        snapshot_2 = sorted(
            (p.newcomer_id, p.host_id, p.status.value, p.score, p.computed_at)
            for p in db.session.scalars(select(MatchProposal))
        )
    assert snapshot_1 == snapshot_2
    assert len(before) >= 2 and len(hosts) == 3


def test_host_declines_newcomer_waits_again_and_the_host_is_not_proposed_again(
    app, coordinator_client
):
    host = add_host(app)
    other = add_host(app, "Lars Holm", email="lars@avesta.example", interests=("fiske",))
    newcomer = add_newcomer(app)
    recompute(app)
    with app.app_context():
        match = service.approve_match(
            db.session,
            system(),
            open_proposal(app, newcomer, host),
            now=NOW,
            settings=settings(app),
        )
        db.session.commit()
        match_id = match.id
    response = _post(
        coordinator_client,
        f"/coordinator/matches/{match_id}/decline",
        {"reason": "Har inte tid i vinter"},
        page=f"/coordinator/matches/{match_id}",
    )
    assert response.status_code == 302
    match = the_match(app, newcomer)
    assert match.state == MatchState.DECLINED and match.declined_at is not None
    assert match.decline_reason == "Har inte tid i vinter"
    page = coordinator_client.get("/coordinator/to-match").get_data(as_text=True)
    assert "Amira Haddad" in page and "Har tackat nej:" in page
    recompute(app)
    with app.app_context():
        open_hosts = set(
            db.session.scalars(
                select(MatchProposal.host_id).where(
                    MatchProposal.newcomer_id == newcomer,
                    MatchProposal.status == ProposalStatus.OPEN,
                )
            )
        )
        assert host not in open_hosts and other in open_hosts
        assert db.session.get(Newcomer, newcomer).status == NewcomerStatus.WAITING
    # accepting after declining is an illegal step
    accept = _post(
        coordinator_client,
        f"/coordinator/matches/{match_id}/accept",
        page=f"/coordinator/matches/{match_id}",
    )
    assert accept.status_code == 409
    assert the_match(app, newcomer).state == MatchState.DECLINED


def test_full_lifecycle_every_step_timestamped_and_illegal_steps_refused(app, coordinator_client):
    host = add_host(app, email=None)  # no email: the coordinator calls the host
    newcomer = add_newcomer(app)
    recompute(app, utcnow())  # the pages act at the real time
    response = _post(
        coordinator_client, f"/coordinator/proposals/{open_proposal(app, newcomer, host)}/approve"
    )
    assert response.status_code == 302
    match = the_match(app, newcomer)
    assert match.state == MatchState.APPROVED and match.host_notified_at is None
    detail = f"/coordinator/matches/{match.id}"
    assert "Värden har tackat ja" in coordinator_client.get(detail).get_data(as_text=True)
    # met before introduced: refused, nothing changes
    assert _post(coordinator_client, f"{detail}/met", page=detail).status_code == 409
    assert _post(coordinator_client, f"{detail}/introduce", page=detail).status_code == 409
    assert _post(coordinator_client, f"{detail}/accept", page=detail).status_code == 302
    match = the_match(app, newcomer)
    # the newcomer has an email address: accepting introduces at once
    assert match.state == MatchState.INTRODUCED
    assert match.accepted_at and match.introduced_at
    [intro] = outbox(app)
    assert intro.idempotency_key == f"match:{match.id}:introduction"
    assert intro.to_address == "amira.haddad@example.org"
    assert "Karin" in intro.body_text and "+46701234567" in intro.body_text
    assert "Berg" not in intro.body_text  # first name only
    assert _post(coordinator_client, f"{detail}/accept", page=detail).status_code == 409
    assert _post(coordinator_client, f"{detail}/met", page=detail).status_code == 302
    assert the_match(app, newcomer).met_at is not None
    # ending needs a reason
    empty = _post(coordinator_client, f"{detail}/end", {"reason": ""}, page=f"{detail}/end")
    assert empty.status_code == 422
    ended = _post(
        coordinator_client,
        f"{detail}/end",
        {"reason": "Träffas regelbundet, klart", "newcomer_waits_again": ""},
        page=f"{detail}/end",
    )
    assert ended.status_code == 302
    match = the_match(app, newcomer)
    assert match.state == MatchState.ENDED and match.end_reason == "Träffas regelbundet, klart"
    stamps = [
        match.proposed_at,
        match.approved_at,
        match.accepted_at,
        match.introduced_at,
        match.met_at,
        match.ended_at,
    ]
    assert all(stamps) and stamps == sorted(stamps)
    assert coordinator_client.get(f"{detail}/end").status_code == 409
    page = coordinator_client.get(detail).get_data(as_text=True)
    for step in ("Godkänd", "Accepterad av värden", "Introducerad", "Har träffats", "Avslutad"):
        assert step in page
    with app.app_context():
        assert db.session.get(Newcomer, newcomer).status == NewcomerStatus.CLOSED
        actions = list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_type == "match", AuditEvent.subject_id == match.id)
                .order_by(AuditEvent.id)
            )
        )
    for action in ("approve", "host-accept", "introduce", "met", "end", "view"):
        assert action in actions


def test_ending_can_send_the_newcomer_back_to_waiting(app):
    host = add_host(app)
    newcomer = add_newcomer(app)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=NOW, settings=settings(app)
        )
        service.end_match(
            db.session, system(), match.id, "Passade inte", now=NOW, newcomer_waits_again=True
        )
        db.session.commit()
        assert db.session.get(Newcomer, newcomer).status == NewcomerStatus.WAITING
        # ended pairs are history: the matcher is told, and the host cannot be picked again
        assert (newcomer, host, "ended") in service.matching_adapter.pair_history(db.session)
        with pytest.raises(Conflict):
            service.assign_other_host(
                db.session, system(), newcomer, host, now=NOW, settings=settings(app)
            )


def test_pick_another_host_by_search(app, coordinator_client):
    add_host(app, "Full Värd", email="full@avesta.example", capacity=0)
    add_host(app, "Pausad Värd", email="paus@avesta.example", status=HostStatus.PAUSED)
    fors = add_host(app, "Per Dahl", email="per@avesta.example", area="Fors", interests=("schack",))
    add_host(app, "Eva Ek", email="eva@avesta.example", area="Horndal")
    newcomer = add_newcomer(app)
    page = coordinator_client.get(f"/coordinator/to-match/{newcomer}/hosts").get_data(as_text=True)
    assert "Per Dahl" in page and "Eva Ek" in page
    assert "Full Värd" not in page and "Pausad Värd" not in page
    page = coordinator_client.get(f"/coordinator/to-match/{newcomer}/hosts?q=fors").get_data(
        as_text=True
    )
    assert "Per Dahl" in page and "Eva Ek" not in page
    response = _post(
        coordinator_client,
        f"/coordinator/to-match/{newcomer}/hosts/{fors}",
        page=f"/coordinator/to-match/{newcomer}/hosts",
    )
    assert response.status_code == 302
    match = the_match(app, newcomer)
    assert match.host_id == fors and match.source == "coordinator"
    assert match.state == MatchState.HOST_NOTIFIED


def test_capacity_is_checked_when_approving(app, coordinator_client):
    host = add_host(app, capacity=1)
    add_newcomer(app)
    second = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    first_id = add_newcomer(app, "Yusuf Ali", email="yusuf@example.org")
    with app.app_context():
        service.assign_other_host(
            db.session, system(), first_id, host, now=NOW, settings=settings(app)
        )
        db.session.commit()
    response = _post(
        coordinator_client,
        f"/coordinator/to-match/{second}/hosts/{host}",
        page=f"/coordinator/to-match/{second}/hosts",
    )
    assert response.status_code == 409
    assert "redan så många nyinflyttade" in response.get_data(as_text=True)
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Match).where(Match.host_id == host)
        )
        assert count == 1


def test_imported_pairs_are_stored_without_mail_and_only_once(app):
    host = add_host(app)
    newcomer = add_newcomer(app)
    other = add_newcomer(app, "Olena Shevchenko", email="olena@example.org")
    with app.app_context():
        from avestavard.models import Host

        h = db.session.get(Host, host)
        n, o = db.session.get(Newcomer, newcomer), db.session.get(Newcomer, other)
        met = service.record_imported_match(
            db.session,
            system(),
            host=h,
            newcomer=n,
            matched_on=None,
            status_text="Träffats",
            now=NOW,
        )
        again = service.record_imported_match(
            db.session,
            system(),
            host=h,
            newcomer=n,
            matched_on=None,
            status_text="Träffats",
            now=NOW,
        )
        fresh = service.record_imported_match(
            db.session,
            system(),
            host=h,
            newcomer=o,
            matched_on=NOW.date(),
            status_text="Ej kontakt ännu",
            now=NOW,
        )
        db.session.commit()
        assert met is not None and met.state == MatchState.MET and again is None
        assert fresh is not None and fresh.state == MatchState.INTRODUCED
        assert n.status == NewcomerStatus.MATCHED
        # never a follow-up question for a pair made before the system
        later = NOW.replace(year=2027)
        assert service.send_follow_ups(db.session, later, settings(app)) == 0
    assert outbox(app) == []


def test_propose_command_recomputes_and_reports(app, runner):
    add_host(app)
    add_newcomer(app)
    result = runner.invoke(args=["propose", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["newcomers"] == 1 and summary["assigned"] == 1 and summary["proposals"] >= 1
    again = runner.invoke(args=["propose"])
    assert again.exit_code == 0 and "1 med föreslagen värd" in again.output


def test_profile_pages_list_the_persons_matches(app, coordinator_client):
    host = add_host(app)
    newcomer = add_newcomer(app)
    with app.app_context():
        match = service.assign_other_host(
            db.session, system(), newcomer, host, now=NOW, settings=settings(app)
        )
        db.session.commit()
        match_id = match.id
    for path in (f"/coordinator/hosts/{host}", f"/coordinator/newcomers/{newcomer}"):
        page = coordinator_client.get(path).get_data(as_text=True)
        assert f"/coordinator/matches/{match_id}" in page
        assert "skickad till värden" in page
