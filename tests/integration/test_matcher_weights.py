"""The matcher learns its weights from the decisions in the database, nightly; coordinators see
them beside the defaults and can reset them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

import matching
from avestavard.extensions import db
from avestavard.jobs.scheduler import DAILY_JOBS, run_daily_job
from avestavard.models import AuditEvent, Host, HostStatus, HouseholdType, Newcomer, NewcomerStatus
from avestavard.models.matches import (
    FollowUpSide,
    Match,
    MatchFollowUp,
    MatchProposal,
    MatchState,
    ProposalStatus,
)
from avestavard.models.weights import MatcherWeights, WeightsSource
from avestavard.services import matcher_weights, matching_adapter
from avestavard.services.matches import recompute_proposals
from matching.simulation import HIDDEN_PREFERENCES, SimulatedCoordinator
from matching.synth import generate_pool
from tests.conftest import csrf_token_from

NIGHT = datetime(2026, 11, 28, 0, 50, tzinfo=UTC)  # 01:50 in Stockholm, after 01:45
WEIGHTS_JOB = next(job for job in DAILY_JOBS if job.name == "weights")
DEFAULTS = matching.Weights()


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"MATCH_LEARN_MIN_NEW_DECISIONS": 10, "MATCH_LEARN_MIN_DECISIONS": 20}


def _people(app: Flask, n_hosts: int = 90, n_newcomers: int = 70) -> tuple[list[int], list[int]]:
    """A generated pool stored as hosts and waiting newcomers; their ids."""
    pool = generate_pool(n_hosts, n_newcomers, seed=2)
    with app.app_context():
        hosts = [
            Host(
                name=f"Värd {p.id}",
                birth_year=p.birth_year,
                area=p.area,
                household=HouseholdType(p.household),
                languages=list(p.languages),
                interests_raw=list(p.interests),
                past=p.past,
                present=p.present,
                future=p.future,
                capacity=3,
                status=HostStatus.ACTIVE,
            )
            for p in pool.hosts
        ]
        confirmed = datetime(2026, 11, 1, tzinfo=UTC)
        newcomers = [
            Newcomer(
                name=f"Ny {p.id}",
                birth_year=p.birth_year,
                area=p.area,
                household=HouseholdType(p.household),
                languages=list(p.languages),
                interests_raw=list(p.interests),
                past=p.past,
                present=p.present,
                future=p.future,
                wishes=p.wishes,
                status=NewcomerStatus.WAITING,
                registered_at=confirmed,
                confirmed_at=confirmed,
                privacy_notice_version="2026-11-01",
            )
            for p in pool.newcomers
        ]
        db.session.add_all([*hosts, *newcomers])
        db.session.commit()
        return [h.id for h in hosts], [n.id for n in newcomers]


def _coordinator_picks(app: Flask, newcomer_ids: list[int]) -> int:
    """The hidden-preference coordinator picks a host for each newcomer from the top 5;
    stored as the matches the services would have made (they have met since)."""
    with app.app_context():
        hosts = db.session.scalars(select(Host).order_by(Host.id)).all()
        newcomers = db.session.scalars(select(Newcomer).where(Newcomer.id.in_(newcomer_ids))).all()
        proposals = matching.propose(
            [matching_adapter.host_profile(h, 0) for h in hosts],
            [matching_adapter.newcomer_profile(n) for n in newcomers],
            top_k=5,
        )
        coordinator = SimulatedCoordinator(HIDDEN_PREFERENCES, seed=2)
        made = 0
        for proposal in proposals:
            pick = coordinator.pick(proposal.newcomer, proposal.candidates)
            if pick is None:
                continue
            first = pick == proposal.candidates[0].host
            db.session.add(
                Match(
                    newcomer_id=int(proposal.newcomer),
                    host_id=int(pick),
                    state=MatchState.MET,
                    source="matcher" if first else "coordinator",
                    accepted_at=NIGHT - timedelta(days=3),
                )
            )
            db.session.get(Newcomer, int(proposal.newcomer)).status = NewcomerStatus.MATCHED  # type: ignore[union-attr]
            made += 1
        db.session.commit()
        return made


def test_decisions_are_read_from_what_the_services_recorded(app: Flask) -> None:
    hosts, newcomers = _people(app, 6, 6)
    with app.app_context():
        session = db.session
        session.add(
            MatchProposal(
                newcomer_id=newcomers[0],
                host_id=hosts[0],
                score=0.5,
                status=ProposalStatus.REJECTED,
                reject_reason="Bor för långt bort.",
            )
        )
        approved = Match(
            newcomer_id=newcomers[1], host_id=hosts[1], state=MatchState.MET, source="matcher"
        )
        approved.accepted_at = NIGHT
        picked = Match(
            newcomer_id=newcomers[2],
            host_id=hosts[2],
            state=MatchState.DECLINED,
            source="coordinator",
        )
        undone = Match(
            newcomer_id=newcomers[3], host_id=hosts[3], state=MatchState.UNDONE, source="matcher"
        )
        imported = Match(
            newcomer_id=newcomers[4], host_id=hosts[4], state=MatchState.ENDED, source="import"
        )
        session.add_all([approved, picked, undone, imported])
        session.flush()
        for side, fit in ((FollowUpSide.HOST, 5), (FollowUpSide.NEWCOMER, 4)):
            session.add(MatchFollowUp(match_id=approved.id, side=side, fit=fit, answered_at=NIGHT))
        session.commit()
        found = {d.to_dict().__repr__() for d in matcher_weights.recorded_decisions(session)}
    n, h = [str(i) for i in newcomers], [str(i) for i in hosts]
    assert found == {
        repr({"newcomer": n[0], "host": h[0], "decision": "rejected"}),
        repr({"newcomer": n[1], "host": h[1], "decision": "approved", "rating": 4}),
        repr({"newcomer": n[1], "host": h[1], "decision": "accepted"}),
        repr({"newcomer": n[2], "host": h[2], "decision": "picked"}),
        repr({"newcomer": n[2], "host": h[2], "decision": "declined"}),
    }


def test_nightly_refit_learns_the_coordinators_taste_and_proposals_use_it(app: Flask) -> None:
    _hosts, newcomers = _people(app)
    decided, waiting = newcomers[:50], newcomers[50:]
    made = _coordinator_picks(app, decided[:4])  # 8 decisions: each pick and the yes
    # Too few new decisions: the job runs and leaves the weights alone.
    assert run_daily_job(app, WEIGHTS_JOB, NIGHT) == "ran"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MatcherWeights)) == 0
        assert matcher_weights.current_weights(db.session) == DEFAULTS

    made += _coordinator_picks(app, decided[4:])
    assert made >= 40
    tomorrow = NIGHT + timedelta(days=1)
    assert run_daily_job(app, WEIGHTS_JOB, tomorrow) == "ran"
    assert run_daily_job(app, WEIGHTS_JOB, tomorrow) == "skipped"  # once a night (job_runs)
    with app.app_context():
        row = db.session.scalars(select(MatcherWeights)).one()
        assert row.source == WeightsSource.LEARNED
        assert row.n_decisions == 2 * made  # each pick, and the host's yes
        learned = matcher_weights.current_weights(db.session)
        assert learned.area > DEFAULTS.area + 0.03 and learned.age > DEFAULTS.age
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "weights-refit")
            )
            == 1
        )

        # A rejected pair stays out, however well the learned weights like it.
        recompute_proposals(db.session, tomorrow)
        best = db.session.scalars(
            select(MatchProposal).where(
                MatchProposal.newcomer_id.in_(waiting), MatchProposal.rank == 0
            )
        ).first()
        assert best is not None
        for proposal in db.session.scalars(select(MatchProposal)).all()[:30]:
            expected = sum(
                getattr(learned, k) * proposal.components[k] for k in matching.COMPONENTS
            )
            assert proposal.score == pytest.approx(expected, abs=2e-3)
        best.status = ProposalStatus.REJECTED
        best.reject_reason = "Känner varandra redan."
        rejected = (best.newcomer_id, best.host_id)
        db.session.commit()
        recompute_proposals(db.session, tomorrow)
        db.session.commit()
        open_pairs = {
            (n, h)
            for n, h in db.session.execute(
                select(MatchProposal.newcomer_id, MatchProposal.host_id).where(
                    MatchProposal.status == ProposalStatus.OPEN
                )
            )
        }
        assert rejected not in open_pairs
        assert any(n == rejected[0] for n, _h in open_pairs)

    # Nothing new the next night: no new row.
    assert run_daily_job(app, WEIGHTS_JOB, tomorrow + timedelta(days=1)) == "ran"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MatcherWeights)) == 1


def test_weights_page_shows_both_and_resets_with_csrf(
    app: Flask, coordinator_client: FlaskClient
) -> None:
    with app.app_context():
        db.session.add(
            MatcherWeights(
                weights=dict(
                    zip(matching.COMPONENTS, (0.4, 0.1, 0.1, 0.05, 0.3, 0.05), strict=True)
                ),
                source=WeightsSource.LEARNED,
                n_decisions=120,
                trained_at=NIGHT,
            )
        )
        db.session.commit()
    page = coordinator_client.get("/coordinator/matching-weights")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Matchningens vikter" in html
    assert "Samma område" in html and "30,0" in html and "8,0" in html  # in use / default
    assert "120 beslut" in html
    assert 'href="/coordinator/matching-weights"' in html  # in the menu

    english = coordinator_client.get("/coordinator/matching-weights?lang=en")
    text = english.get_data(as_text=True)
    assert "Matching weights" in text and "Same area" in text and "Reset to the defaults" in text

    refused = coordinator_client.post("/coordinator/matching-weights/reset", data={})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MatcherWeights)) == 1

    token = csrf_token_from(html)
    done = coordinator_client.post(
        "/coordinator/matching-weights/reset", data={"csrf_token": token}
    )
    assert done.status_code == 302
    with app.app_context():
        row = db.session.scalars(select(MatcherWeights).order_by(MatcherWeights.id.desc())).first()
        assert row is not None and row.source == WeightsSource.RESET
        assert row.created_by_id is not None
        assert matcher_weights.current_weights(db.session) == DEFAULTS
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "weights-reset")
        ).one()
        assert event.actor_id == row.created_by_id
    after = coordinator_client.get("/coordinator/matching-weights?lang=sv").get_data(as_text=True)
    assert "Vikterna i bruk är standardvikterna." in after
    assert "Återställ till standardvikterna</button>" not in after


def test_hosts_cannot_see_or_reset_the_weights(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    from tests.conftest import login

    user = make_user("host", email="varden@example.org")
    assert login(client, user.email).status_code == 302
    assert client.get("/coordinator/matching-weights").status_code in (403, 404)
