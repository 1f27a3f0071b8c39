"""Capacity under concurrency: coordinators approving at the same moment, over real HTTP
against a threaded server, can never give a host more newcomers than their capacity, nor one
newcomer two active matches. Runs on SQLite (writers serialised with BEGIN IMMEDIATE) and on
PostgreSQL (row locks with SELECT ... FOR UPDATE); the partial unique index backs both."""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from avestavard.extensions import db
from avestavard.models import Newcomer, NewcomerStatus
from avestavard.models.matches import ACTIVE_MATCH_STATES, Match, MatchState
from tests.conftest import csrf_token_from
from tests.integration.matches_support import NOW, add_host, add_newcomer


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    # Many coordinators log in from the same loopback address within a second.
    return {"RATELIMIT_ENABLED": False}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """One coordinator's HTTP client with its own cookies (its own session on the server)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def login(self, email: str, password: str) -> str:
        """Log in; returns a CSRF token for later posts."""
        _, page = self.get("/login")
        status, _ = self.post(
            "/login", {"email": email, "password": password, "csrf_token": csrf_token_from(page)}
        )
        assert status == 302
        _, page = self.get("/coordinator/to-match")
        return csrf_token_from(page)


def _coordinators(live_server, make_user, count):
    from tests.conftest import PASSWORD

    browsers = []
    for i in range(count):
        user = make_user("coordinator", email=f"samordnare{i}@avesta.example")
        browser = Browser(live_server.url)
        browsers.append((browser, browser.login(user.email, PASSWORD)))
    return browsers


def _at_once(calls):
    """Run the calls in threads released together; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _active(app, **where):
    with app.app_context():
        stmt = select(func.count()).select_from(Match).where(Match.state.in_(ACTIVE_MATCH_STATES))
        for column, value in where.items():
            stmt = stmt.where(getattr(Match, column) == value)
        return db.session.scalar(stmt)


@pytest.mark.slow
def test_coordinators_approving_at_once_never_exceed_a_hosts_capacity(app, live_server, make_user):
    host = add_host(app, capacity=3)
    newcomers = [
        add_newcomer(app, f"Person{i} Nyinflyttad", email=f"n{i}@example.org") for i in range(8)
    ]
    browsers = _coordinators(live_server, make_user, len(newcomers))
    for _round in range(2):  # the second round finds the host full from the start
        results = _at_once(
            [
                lambda b=b, t=t, n=n: b.post(
                    f"/coordinator/to-match/{n}/hosts/{host}", {"csrf_token": t}
                )
                for (b, t), n in zip(browsers, newcomers, strict=True)
            ]
        )
        statuses = sorted(status for status, _ in results)
        assert _active(app, host_id=host) == 3
        if _round == 0:
            assert statuses == [302] * 3 + [409] * 5, statuses
        else:
            assert statuses == [409] * 8, statuses
    refused = [body for status, body in results if status == 409]
    assert all("redan så många nyinflyttade" in body or "väntar inte" in body for body in refused)
    with app.app_context():
        matched = db.session.scalar(
            select(func.count())
            .select_from(Newcomer)
            .where(Newcomer.status == NewcomerStatus.MATCHED)
        )
        assert matched == 3


@pytest.mark.slow
def test_one_newcomer_never_gets_two_active_matches(app, live_server, make_user):
    hosts = [
        add_host(app, f"Värd{i} Berg", email=f"v{i}@avesta.example", capacity=2) for i in range(6)
    ]
    newcomer = add_newcomer(app)
    browsers = _coordinators(live_server, make_user, len(hosts))
    results = _at_once(
        [
            lambda b=b, t=t, h=h: b.post(
                f"/coordinator/to-match/{newcomer}/hosts/{h}", {"csrf_token": t}
            )
            for (b, t), h in zip(browsers, hosts, strict=True)
        ]
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [409] * 5, statuses
    assert _active(app, newcomer_id=newcomer) == 1
    # exactly one host email went out
    with app.app_context():
        from avestavard.models import OutboxMessage

        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_database_refuses_a_second_active_match_for_a_newcomer(app):
    first, second = add_host(app), add_host(app, "Lars Holm", email="lars@avesta.example")
    newcomer = add_newcomer(app)
    with app.app_context():
        db.session.add(
            Match(newcomer_id=newcomer, host_id=first, state=MatchState.INTRODUCED, approved_at=NOW)
        )
        db.session.commit()
        db.session.add(
            Match(newcomer_id=newcomer, host_id=second, state=MatchState.APPROVED, approved_at=NOW)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # an ended or declined match does not count
        db.session.add(
            Match(newcomer_id=newcomer, host_id=second, state=MatchState.DECLINED, approved_at=NOW)
        )
        db.session.commit()


def test_two_recomputations_at_once_store_one_set_of_proposals(app):
    for i in range(4):
        add_host(app, f"Värd{i} Berg", email=f"v{i}@avesta.example", capacity=2)
    for i in range(6):
        add_newcomer(app, f"Person{i} Nyinflyttad", email=f"n{i}@example.org")
    from avestavard.models.matches import MatchProposal
    from avestavard.services.matches import recompute_proposals

    def run():
        with app.app_context():
            summary = recompute_proposals(db.session, NOW)
            db.session.commit()
            return summary

    first, second = _at_once([run, run])
    assert first.proposals == second.proposals > 0
    with app.app_context():
        rows = db.session.scalars(select(MatchProposal)).all()
        assert len(rows) == first.proposals
        assert len({(r.newcomer_id, r.host_id) for r in rows}) == len(rows)
