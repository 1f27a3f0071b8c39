"""Benchmark of the coordinators' workspace: list pages and search at municipal scale.

    python bench/bench_workspace.py [--hosts 20000] [--newcomers 50000] [--database-url URL]

Fills a fresh database (SQLite file by default; any SQLAlchemy URL, e.g. PostgreSQL) with
synthetic hosts and newcomers, builds the search keys, then requests each list page and a few
searches through the real app (logged in as a coordinator) and prints the server time (median
of 5) and the number of SQL queries per request. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import Host, Newcomer, NewcomerStatus, Role
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
PASSWORD = "benchmark-password-1"


def _person(rng: random.Random, i: int, now: datetime) -> dict[str, object]:
    return {
        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
        "email": f"p{i}@example.se",
        "phone": f"+46701{i:06d}",
        "area": rng.choice(AREAS),
        "languages": sorted(set(rng.sample(LANGS, 2))),
        "interests_raw": rng.sample(INTERESTS, 2),
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
    rebuild_search_keys(db.session.connection())
    create_user(db.session, email="bench@avesta.example", password=PASSWORD, role=Role.COORDINATOR)
    db.session.commit()


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
    ]
    print(f"{'page':58} {'median ms':>9} {'queries':>7} {'kB':>6} {'rows':>5}")
    for path in pages:
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
        print(
            f"{path:58} {statistics.median(times):9.1f} {max(counts):7d}"
            f" {size / 1024:6.0f} {hits:5d}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
