"""Benchmark: our outbox sender against a bare smtplib loop, same messages, same run.

    .venv/bin/python bench/bench_mail.py [--n 5000] [--chunk 250] [--database-url URL]

Queues N messages (text + HTML, UTF-8 subject, List-Unsubscribe headers) in a real database
(a fresh SQLite file, or ``--database-url`` for PostgreSQL: its outbox table is emptied), starts
an aiosmtpd sink in its own process, then measures:

* bare: one ``smtplib.SMTP`` connection, ``sendmail()`` of the N messages already serialised
  (built from the same rows before the clock starts): the SMTP ceiling;
* bare + builder: the same loop, building each message with our builder inside the loop;
* ours: ``send_due_mail`` draining the outbox: claims, composes, hand-over marks, results.

The three take turns of ``--chunk`` messages (ours: ``send_due_mail(limit=chunk)``, a new
connection per turn) so that all three see the same load on a shared machine. Prints messages
per second (the turns added up) and ours / bare pre-built, in total and as the median of the
per-turn ratios; the median (robust against another program's burst of work during one turn)
is checked against the target of 25 %. Exit status 1 if the target is missed or a message is
missing.

On SQLite the database uses WAL and synchronous=NORMAL (``--sqlite-as-is`` keeps SQLite's
rollback journal and synchronous=FULL, where every commit waits for two fsyncs).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import smtplib
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, event, func, select, text

from avestavard import create_app
from avestavard.extensions import db
from avestavard.models import OutboxMessage, OutboxStatus
from avestavard.services.mail import queue_mail
from avestavard.services.mail_sender import (
    MailSettings,
    compose,
    message_bytes,
    send_due_mail,
)

ARABIC = "مرحبا بك في أفستا"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sink(port: int, count: Any, ready: Any) -> None:
    """aiosmtpd that accepts everything and counts (its own process: no shared GIL)."""
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def use_wal(engine: Any) -> None:
    """WAL journal (a property of the file) and synchronous=NORMAL (per connection).

    What the sender is designed for on SQLite: a commit then costs a write to the WAL, not two
    fsyncs; it survives a crash of the process (kill -9), an OS crash may lose the last commits.
    """

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # pooled connections were opened without the pragmas


def queue_messages(app: Any, n: int) -> float:
    """Queue ``n`` messages, committing every 500; returns the seconds it took."""
    started = time.perf_counter()
    with app.app_context():
        session = db.session()
        for i in range(n):
            queue_mail(
                session,
                key=f"bench:{i}",
                to=f"person{i}@avesta.example",
                subject=f"Välkommen till Avesta, åäö – {ARABIC} #{i}",
                text=f"Hej {i}!\n\nVälkommen till Avesta. Här är dina nästa steg.\n{ARABIC}\n" * 4,
                html=f"<p>Hej {i}!</p><p>Välkommen till Avesta.</p><p lang='ar'>{ARABIC}</p>" * 4,
                headers={
                    "List-Unsubscribe": f"<https://avesta.example/avregistrera/{i}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            if i % 500 == 499:
                session.commit()
        session.commit()
    return time.perf_counter() - started


def load_rows(app: Any) -> list[OutboxMessage]:
    """The queued rows, for the bare loop (read before its clock starts)."""
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def bare_chunk(smtp: smtplib.SMTP, envelope_from: str, payloads: list[tuple[str, bytes]]) -> float:
    """Send pre-serialised messages over the open connection; returns seconds."""
    started = time.perf_counter()
    for to, payload in payloads:
        smtp.sendmail(envelope_from, [to], payload)
    return time.perf_counter() - started


def bare_building_chunk(
    smtp: smtplib.SMTP, settings: MailSettings, rows: list[OutboxMessage]
) -> float:
    """Build each message (our builder) and send it over the open connection; returns seconds."""
    started = time.perf_counter()
    for row in rows:
        payload = message_bytes(_build(settings, row))
        smtp.sendmail(settings.envelope_from, [row.to_address], payload)
    return time.perf_counter() - started


def _build(settings: MailSettings, row: OutboxMessage) -> Any:
    return compose(
        settings,
        key=row.idempotency_key,
        to=row.to_address,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        headers=row.headers,
        date=datetime.now(UTC),
    )


def ours_chunk(app: Any, batch_size: int, limit: int) -> tuple[float, Any]:
    """Our sender sending the next ``limit`` messages of the outbox; returns (seconds, report)."""
    with app.app_context():
        started = time.perf_counter()
        report = send_due_mail(
            db.engine, datetime.now(UTC), config=app.config, batch_size=batch_size, limit=limit
        )
        return time.perf_counter() - started, report


def count_sent(app: Any) -> int:
    """Rows the sender recorded as sent."""
    with app.app_context():
        return int(
            db.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT))
            or 0
        )


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="messages (default 5000)")
    parser.add_argument("--chunk", type=int, default=250, help="messages per turn (default 250)")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--batch-size", type=int, default=200, help="rows per claim")
    parser.add_argument(
        "--sqlite-as-is",
        action="store_true",
        help="keep SQLite's defaults (rollback journal, synchronous=FULL) instead of WAL + "
        "synchronous=NORMAL",
    )
    args = parser.parse_args()
    n = args.n

    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        port = _free_port()
        ctx = mp.get_context("spawn")
        count, ready = ctx.Value("i", 0), ctx.Event()
        sink = ctx.Process(target=_sink, args=(port, count, ready), daemon=True)
        sink.start()
        if not ready.wait(30):
            print("the SMTP sink did not start", file=sys.stderr)
            return 1
        try:
            app = create_app(
                "testing",
                {"DATABASE_URL": url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port},
            )
            with app.app_context():
                from flask_migrate import upgrade

                upgrade()
                if url.startswith("sqlite") and not args.sqlite_as_is:
                    use_wal(db.engine)
                db.session.execute(delete(OutboxMessage))
                db.session.commit()
                backend = url.split(":", 1)[0]
                if backend == "sqlite":
                    journal = db.session.execute(text("PRAGMA journal_mode")).scalar()
                    sync = db.session.execute(text("PRAGMA synchronous")).scalar()
                    backend += f" (journal_mode={journal}, synchronous={sync})"
                db.session.remove()
            queue_seconds = queue_messages(app, n)
            print(f"database: {backend}; queued {n} messages in {queue_seconds:.1f} s")

            settings = MailSettings.from_config(app.config)
            rows = load_rows(app)
            payloads = [(r.to_address, message_bytes(_build(settings, r))) for r in rows]
            bare = building = ours = 0.0
            bare_cpu = ours_cpu = 0.0
            sent = 0
            turn_ratios = []
            bare_smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            building_smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            try:
                # Turns of `chunk` messages each, so that all three see the same load.
                for start in range(0, n, args.chunk):
                    stop = min(start + args.chunk, n)
                    cpu = time.process_time()
                    bare_seconds = bare_chunk(
                        bare_smtp, settings.envelope_from, payloads[start:stop]
                    )
                    bare_cpu += time.process_time() - cpu
                    building += bare_building_chunk(building_smtp, settings, rows[start:stop])
                    cpu = time.process_time()
                    seconds, report = ours_chunk(app, args.batch_size, stop - start)
                    ours_cpu += time.process_time() - cpu
                    bare += bare_seconds
                    ours += seconds
                    turn_ratios.append(bare_seconds / seconds)
                    sent += report.sent
            finally:
                bare_smtp.quit()
                building_smtp.quit()
            sent_rows = count_sent(app)
            with app.app_context():
                if args.database_url:
                    db.session.execute(delete(OutboxMessage))
                    db.session.commit()
                db.engine.dispose()
        finally:
            sink.terminate()
            sink.join(5)

    ratio = statistics.median(turn_ratios)
    expected = 3 * n
    print(f"bare smtplib, pre-built bytes:       {n / bare:8.0f} msgs/s")
    print(f"bare smtplib + our message builder:  {n / building:8.0f} msgs/s")
    print(f"our sender (send_due_mail):          {n / ours:8.0f} msgs/s")
    # CPU of this process (the SMTP sink runs in another): what the load on the machine
    # does not change much.
    print(
        f"CPU per message in this process: bare {1000 * bare_cpu / n:.3f} ms, "
        f"ours {1000 * ours_cpu / n:.3f} ms"
    )
    print(f"ours / bare pre-built: {bare / ours:.0%} in total, {ratio:.0%} median of the turns")
    print(f"ours / bare + builder: {building / ours:.0%} in total")
    print(f"sink received {count.value} of {expected}; ours sent {sent}, rows sent {sent_rows}")
    ok = ratio >= 0.25 and sent == n and sent_rows == n and count.value == expected
    print("target (ours >= 25% of bare pre-built, median): " + ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
