"""Benchmark of the public registration page against a bare Flask route, under the same server.

    python bench/bench_register.py [--seconds 10] [--rounds 3] [--connections 8] [--workers 2]

Migrates a fresh SQLite database, serves the real app with gunicorn (production settings,
``--workers`` workers) and, in the same run and under the same gunicorn setting, a bare Flask
app that answers one short string. wrk (Debian's package ``wrk``) loads each from another
process, in rounds that take the targets in turn; the figures are the median round's requests
per second and latency, and the ratio of ``/register`` (in Swedish and in Arabic) to the bare
route. The target is a ratio of at least 20%.
Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.20

BARE_APP = textwrap.dedent(
    """
    from flask import Flask

    app = Flask(__name__)


    @app.get("/")
    def index() -> str:
        return "ok"
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"bench_register: {url} did not answer")


def serve(
    app: str, workers: int, env: dict[str, str], cwd: Path
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=cwd,
        env=env,
    )
    return process, port


def load(url: str, seconds: int, connections: int) -> tuple[float, str]:
    """Requests per second and the mean latency, as wrk reports them."""
    out = subprocess.run(
        [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    latency = re.search(r"Latency\s+(\S+)", out)
    if rate is None or latency is None or "Non-2xx" in out:
        raise SystemExit(f"bench_register: unexpected answer from {url}:\n{out}")
    return float(rate[1]), latency[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench_register: needs wrk (apt-get install wrk)")

    with tempfile.TemporaryDirectory(prefix="bench-register-") as tmp:
        work = Path(tmp)
        (work / "bare_flask.py").write_text(BARE_APP, encoding="utf-8")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AVESTAVARD_CONFIG": "production",
            "AVESTAVARD_INSTANCE_PATH": str(work / "instance"),
            "AVESTAVARD_SECRET_KEY": "bench-" + "k" * 40,
            "AVESTAVARD_PERSON_HASH_KEY": "bench-" + "p" * 40,
            "AVESTAVARD_PUBLIC_BASE_URL": "https://flyttahit.example.se",
            "AVESTAVARD_RATELIMIT_STORAGE_URI": "memory://",
        }
        cli = Path(sys.executable).with_name("avestavard")
        subprocess.run(
            [str(cli), "db", "upgrade"], env=env, cwd=work, check=True, capture_output=True
        )

        bare_server, bare_port = serve("bare_flask:app", args.workers, env, work)
        app_server, app_port = serve("avestavard:create_app()", args.workers, env, work)
        targets = {
            "bare Flask route": f"http://127.0.0.1:{bare_port}/",
            "GET /register?lang=sv": f"http://127.0.0.1:{app_port}/register?lang=sv",
            "GET /register?lang=ar": f"http://127.0.0.1:{app_port}/register?lang=ar",
        }
        rounds: dict[str, list[tuple[float, str]]] = {label: [] for label in targets}
        try:
            for url in targets.values():
                wait_until_up(url)
                load(url, 2, args.connections)  # warm up
            # Rounds in turn, so that a busy moment on the machine falls on every target alike.
            for _ in range(args.rounds):
                for label, url in targets.items():
                    rounds[label].append(load(url, args.seconds, args.connections))
        finally:
            for process in (bare_server, app_server):
                process.terminate()
                process.wait(timeout=30)
        results = {
            label: sorted(runs)[len(runs) // 2] for label, runs in rounds.items()
        }  # the median round

    bare = results["bare Flask route"][0]
    print(
        f"gunicorn --workers {args.workers}, wrk {args.connections} connections,"
        f" median of {args.rounds} rounds of {args.seconds} s"
    )
    for label, (rate, latency) in results.items():
        print(
            f"  {label:<24} {rate:>7,.0f} req/s  mean latency {latency:>8}"
            f"  {rate / bare:6.1%} of bare"
        )
    worst = min(rate for label, (rate, _) in results.items() if label.startswith("GET"))
    verdict = "meets" if worst / bare >= TARGET_RATIO else "misses"
    print(
        f"slowest /register at {worst / bare:.1%} of the bare route:"
        f" {verdict} the {TARGET_RATIO:.0%} target"
    )


if __name__ == "__main__":
    main()
