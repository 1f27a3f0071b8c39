"""Benchmark of the coordinators' workspace: list pages and search at municipal scale.

    python bench/bench_workspace.py [--hosts 20000] [--newcomers 50000] [--database-url URL]

Fills a fresh database (SQLite file by default; any SQLAlchemy URL, e.g. PostgreSQL) with
synthetic hosts and newcomers (every matched newcomer with an active match, some ended and
declined matches with follow-up answers, three open proposals per waiting newcomer), builds the
search keys, then requests each list page ("Att matcha" and the matches list included), a person
page, "Matchningens ord" (every tenth person has a local name it cannot read) and a few searches
through the real app (logged in as a coordinator) and prints the server time (median of 5) and
its ratio to a baseline measured in the same run (a signed-in page that reads no person: the
app's fixed cost per request), the number of SQL queries per request, the page size and its
table rows. The target: every page under 150 ms, and a paged list's query count the same on a
late page as on the first; exit status 1 when missed. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select, text

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import Host, Newcomer, NewcomerStatus, Role
from avestavard.models.matches import (
    FollowUpSide,
    Match,
    MatchFollowUp,
    MatchProposal,
    MatchState,
)
from avestavard.services.search import rebuild_search_keys
from avestavard.services.users import create_user

FIRST = [
    "Åsa",
    "Anna",
    "Erik",
    "Lars",
    "Karin",
    "Olle",
    "Maria",
    "Johan",
    "Sara",
    "Per",
    "Amira",
    "Yusuf",
    "Olena",
    "Ahmed",
    "Fatima",
    "Jonas",
    "Elin",
    "Björn",
    "Märta",
    "Ali",
]
LAST = [
    "Öberg",
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Ström",
    "Lindqvist",
    "Berg",
    "Ali",
    "Hassan",
    "Shevchenko",
    "Ek",
    "Åberg",
    "Sjöberg",
]
AREAS = ["Avesta centrum", "Krylbo", "Fors", "Horndal", "Grytnäs", "Bjurfors", "Karlbo"]
LANGS = ["sv", "en", "ar", "fi", "uk", "so", "fa", "de"]
INTERESTS = ["fiske", "fotografering", "brädspel", "fotboll", "matlagning", "vandring", "läsa"]
# Local names the matcher cannot read (clubs, places, events): every tenth person has one,
# numbered into a long tail of distinct words for "Matchningens ord".
LOCAL = ["Krylbo IF", "Sörbo", "Brunnsbacksdagarna", "Näs bruk", "Karlbo SK"]
PASSWORD = "benchmark-password-1"
FISHING = {"id": "fiske", "sv": "fiske", "en": "fishing"}


def _person(rng: random.Random, i: int, now: datetime) -> dict[str, object]:
    return {
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
        "email": f"p{i}@example.se",
        "phone": f"+46701{i:06d}",
        "area": rng.choice(AREAS),
        "languages": sorted(set(rng.sample(LANGS, 2))),
        "interests_raw": rng.sample(INTERESTS, 2)
        + ([f"{LOCAL[i // 10 % len(LOCAL)]} {i % 300}"] if i % 10 == 0 else []),
    }


def fill(hosts: int, newcomers: int) -> None:
    rng = random.Random(11)
    now = datetime.now(UTC)
    rows = [dict(_person(rng, i, now), capacity=rng.randint(1, 3)) for i in range(hosts)]
    db.session.execute(insert(Host), rows)
    rows = [
        dict(
            _person(rng, hosts + i, now),
            status=rng.choice([NewcomerStatus.WAITING, NewcomerStatus.MATCHED]),
            registered_at=now - timedelta(days=rng.randint(1, 400)),
        )
        for i in range(newcomers)
    ]
    db.session.execute(insert(Newcomer), rows)
    fill_matches(rng, now)
    rebuild_search_keys(db.session.connection())
    create_user(db.session, email="bench@avesta.example", password=PASSWORD, role=Role.COORDINATOR)
    db.session.commit()
    # Planner statistics, as the database keeps them in use (autovacuum on PostgreSQL).
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def fill_matches(rng: random.Random, now: datetime) -> None:
    """An active match for every matched newcomer, a past match (ended or declined, with a
    follow-up answer) for every tenth waiting one, and three open proposals for each waiting
    newcomer: the data "Att matcha" and the matches list read."""
    host_ids = list(db.session.scalars(select(Host.id)))
    newcomers = db.session.execute(select(Newcomer.id, Newcomer.status)).all()
    active = [MatchState.APPROVED, MatchState.ACCEPTED, MatchState.INTRODUCED, MatchState.MET]
    matches, proposals = [], []
    for newcomer_id, status in newcomers:
        approved = now - timedelta(days=rng.randint(1, 700))
        if status == NewcomerStatus.MATCHED:
            state = rng.choice(active)
            matches.append(
                {
                    "newcomer_id": newcomer_id,
                    "host_id": rng.choice(host_ids),
                    "state": state,
                    "approved_at": approved,
                    "met_at": approved + timedelta(days=20) if state == MatchState.MET else None,
                }
            )
            continue
        if newcomer_id % 10 == 0:
            matches.append(
                {
                    "newcomer_id": newcomer_id,
                    "host_id": rng.choice(host_ids),
                    "state": rng.choice([MatchState.ENDED, MatchState.DECLINED]),
                    "approved_at": approved,
                }
            )
        for rank, host_id in enumerate(rng.sample(host_ids, 3)):
            proposals.append(
                {
                    "newcomer_id": newcomer_id,
                    "host_id": host_id,
                    "rank": rank,
                    "is_assigned": rank == 0,
                    "score": rng.uniform(0.3, 0.9),
                    "reason_codes": [{"code": "shared_interests", "params": {"items": [FISHING]}}],
                    "components": {"interests": 0.5, "area": 1.0},
                    "computed_at": now,
                }
            )
    db.session.execute(insert(Match), matches)
    db.session.execute(insert(MatchProposal), proposals)
    past = db.session.scalars(
        select(Match.id).where(Match.state.in_([MatchState.ENDED, MatchState.MET]))
    ).all()
    db.session.execute(
        insert(MatchFollowUp),
        [
            {
                "match_id": match_id,
                "side": FollowUpSide.NEWCOMER,
                "sent_at": now - timedelta(days=30),
                "answered_at": now - timedelta(days=29),
                "met": match_id % 7 != 0,
                "fit": 1 + match_id % 5,
            }
            for match_id in past
        ],
    )
    print(
        f"  {len(matches)} matches, {len(proposals)} open proposals, {len(past)} follow-ups",
        flush=True,
    )


TARGET_MS = 150
BASELINE = "/account/password"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20_000)
    parser.add_argument("--newcomers", type=int, default=50_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app(
        "testing", {"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        fill(args.hosts, args.newcomers)
        print(
            f"{db.engine.dialect.name}: {args.hosts} hosts, {args.newcomers} newcomers, "
            f"filled with search keys in {time.perf_counter() - started:.1f} s"
        )
        queries = [0]

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args: object) -> None:
            queries[0] += 1

    client = app.test_client()
    client.post("/login", data={"email": "bench@avesta.example", "password": PASSWORD})
    pages = [
        "/coordinator/hosts",
        "/coordinator/hosts?sort=-free&free=yes&language=fi",
        "/coordinator/newcomers",
        "/coordinator/newcomers?area=Krylbo&language=ar&page=20",
        "/coordinator/?q=öberg",
        "/coordinator/?q=070-100 12 34",
        "/coordinator/?q=Obreg",
        "/coordinator/?q=fotografering",
        "/coordinator/to-match",
        "/coordinator/to-match?page=600",
        "/coordinator/matches",
        "/coordinator/matches?sort=host&page=200",
        "/coordinator/matches?state=met&month={month}",
        "/coordinator/matches?q=öberg&sort=-met",
        "/coordinator/newcomers/10",
        "/coordinator/hosts/10",
        "/coordinator/matching-words",
        "/admin/audit",
    ]
    month = datetime.now(UTC).strftime("%Y-%m")
    measured: dict[str, tuple[float, int]] = {}
    print(f"{'page':58} {'median ms':>9} {'x base':>6} {'queries':>7} {'kB':>6} {'rows':>5}")
    # The baseline: a signed-in page that reads no person (the password form), through the
    # same app, session and database in the same run.
    for path in [BASELINE, *(p.format(month=month) for p in pages)]:
        times, counts, size = [], [], 0
        for _ in range(5):
            queries[0] = 0
            t0 = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            counts.append(queries[0])
            size = len(answer.data)
            hits = answer.data.count(b"<tr")
            if answer.status_code != 200:
                print(f"{path}: HTTP {answer.status_code}")
                return 1
        measured[path] = (statistics.median(times), max(counts))
        ratio = measured[path][0] / measured[BASELINE][0]
        print(
            f"{path:58} {measured[path][0]:9.1f} {ratio:6.1f} {max(counts):7d}"
            f" {size / 1024:6.0f} {hits:5d}"
        )
    # Teaching a word reads again the stored interests of everyone holding a word that now
    # reads differently (the page's message says how many).
    t0 = time.perf_counter()
    answer = client.post(
        "/coordinator/matching-words", data={"word": "Krylbo IF 0", "interest": "football"}
    )
    taught_ms = (time.perf_counter() - t0) * 1000
    message = re.search(r"(\d+) profiler? lästes om", client.get(answer.location).text)
    print(
        f"teaching a word (HTTP {answer.status_code}): {taught_ms:.0f} ms, "
        f"{message.group(1) if message else 'no'} profiles read again"
    )
    slowest = max((path for path in measured if path != BASELINE), key=lambda p: measured[p][0])
    paged = [
        ("/coordinator/to-match", "/coordinator/to-match?page=600"),
        ("/coordinator/matches", "/coordinator/matches?sort=host&page=200"),
    ]
    constant = all(measured[first][1] == measured[later][1] for first, later in paged)
    met = measured[slowest][0] < TARGET_MS and constant
    print(
        f"slowest: {slowest} at {measured[slowest][0]:.1f} ms (target {TARGET_MS} ms); "
        f"query count {'the same' if constant else 'NOT the same'} on a later page: "
        f"{'met' if met else 'missed'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
