"""figures: the anonymous event log, backfilled from the data already stored

Revision ID: 0015_figures
Revises: 0013_outbox_attempts

The backfill dates every event by the record's own dates (registration, confirmation, each step
of a match, the letter run, the interview). Statuses were kept only as their current value, so a
state is counted from the day the record reached it (``updated_at`` for a paused host or a
closed newcomer); the application records every change as it happens from here on.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0015_figures"
down_revision = "0013_outbox_attempts"
branch_labels = None
depends_on = None

ZONE = ZoneInfo("Europe/Stockholm")
ACTIVE_STATES = ("approved", "host_notified", "accepted", "introduced", "met")
# The steps of a match in order: (state reached, its time column).
STEPS = (
    ("approved", "approved_at"),
    ("host_notified", "host_notified_at"),
    ("accepted", "accepted_at"),
    ("declined", "declined_at"),
    ("introduced", "introduced_at"),
    ("met", "met_at"),
    ("ended", "ended_at"),
    ("undone", "undone_at"),
)
FLOWS = {
    "approved_at": "approved",
    "accepted_at": "accepted",
    "declined_at": "declined",
    "introduced_at": "introduced",
    "met_at": "met",
    "ended_at": "ended",
}


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), tzinfo=ZONE)


def _day(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return _aware(value).astimezone(ZONE).date()


class _Events:
    def __init__(self):
        self.rows = []
        self.now = datetime.now(UTC)

    def add(self, kind, on, value=1, channel=None, stage=None, since=None):
        day = _day(on)
        self.rows.append(
            {
                "kind": kind,
                "occurred_on": day,
                "month": day.strftime("%Y-%m"),
                "value": value,
                "channel": channel,
                "stage": stage,
                "since": since,
                "recorded_at": self.now,
            }
        )

    def move(self, kind, before, after, on, since_before=None, since_after=None):
        if before is not None:
            self.add(kind, on, -1, before, since=since_before)
        if after is not None:
            self.add(kind, on, 1, after, since=since_after)


def _backfill(bind):
    events = _Events()
    meta = sa.MetaData()
    newcomers = sa.Table("newcomers", meta, autoload_with=bind)
    hosts = sa.Table("hosts", meta, autoload_with=bind)
    matches = sa.Table("matches", meta, autoload_with=bind)
    follow_ups = sa.Table("match_follow_ups", meta, autoload_with=bind)
    households = sa.Table("households", meta, autoload_with=bind)
    letters = sa.Table("letters", meta, autoload_with=bind)
    outbox = sa.Table("outbox_messages", meta, autoload_with=bind)

    match_rows = [dict(r._mapping) for r in bind.execute(sa.select(matches).order_by(matches.c.id))]
    first_match, last_match, waiting_since = {}, {}, {}
    by_host = defaultdict(list)
    for m in match_rows:
        first_match.setdefault(m["newcomer_id"], m)
        last_match[m["newcomer_id"]] = m
        by_host[m["host_id"]].append(m)

    for n in bind.execute(sa.select(newcomers)).mappings():
        registered = _aware(n["registered_at"])
        confirmed = _aware(n["confirmed_at"])
        events.add("registered", registered)
        events.move("newcomers", None, "unconfirmed", registered)
        since = _day(confirmed or registered)
        if confirmed is not None:
            events.add("confirmed", confirmed)
            events.move("newcomers", "unconfirmed", "waiting", confirmed, since_after=since)
        elif n["status"] != "unconfirmed":
            events.move("newcomers", "unconfirmed", "waiting", registered, since_after=since)
        waiting_since[n["id"]] = since
        match = first_match.get(n["id"])
        if n["status"] in ("matched", "closed") and match is not None:
            events.move("newcomers", "waiting", "matched", match["approved_at"], since_before=since)
        if n["status"] == "closed":
            last = last_match.get(n["id"])
            closed_at = (last and last["ended_at"]) or n["updated_at"]
            if match is not None:
                events.move("newcomers", "matched", "closed", closed_at)
            else:
                events.move("newcomers", "waiting", "closed", closed_at, since_before=since)
                events.add(
                    "wait_ended", closed_at, max(0, (_day(closed_at) - since).days), "closed"
                )

    for h in bind.execute(sa.select(hosts)).mappings():
        created = _aware(h["created_at"])
        if h["interviewed_on"] is not None:
            created = min(created, _aware(h["interviewed_on"]))
            events.add("interview", h["interviewed_on"])
        events.add("host_added", created)
        events.move("hosts", None, "active", created)
        events.add("free_places", created, h["capacity"])
        taken = 0
        for m in by_host[h["id"]]:
            if m["state"] in ACTIVE_STATES and taken < h["capacity"]:
                taken += 1
                events.add("free_places", m["approved_at"], -1)
        if h["status"] != "active":
            changed = max(_aware(h["updated_at"]), created)
            events.move("hosts", "active", h["status"], changed)
            if h["capacity"] - taken:
                events.add("free_places", changed, -(h["capacity"] - taken))

    for m in match_rows:
        since = waiting_since.get(m["newcomer_id"])
        if since is not None:
            waited = max(0, (_day(m["approved_at"]) - since).days)
            events.add("wait_ended", m["approved_at"], waited, "matched")
        for column, kind in FLOWS.items():
            if m[column] is None:
                continue
            value = 1
            channel = m["source"] if kind == "approved" else None
            if kind in ("accepted", "declined"):
                start = _aware(m["host_notified_at"] or m["approved_at"])
                value = max(0, (_day(m[column]) - _day(start)).days)
            events.add(kind, m[column], value, channel)
        if m["state"] == "undone":
            events.add("approval_undone", m["approved_at"], 1, m["source"])
        state = None
        for step, column in STEPS:
            if m[column] is None and step != m["state"]:
                continue
            at = m[column] if m[column] is not None else m["updated_at"]
            events.move("matches", state, step, at)
            state = step
            if step == m["state"]:
                break

    for f in bind.execute(sa.select(follow_ups).where(follow_ups.c.fit.is_not(None))).mappings():
        events.add("rating", f["answered_at"] or f["sent_at"], f["fit"], f["side"])
    for h in bind.execute(
        sa.select(households.c.unsubscribed_at).where(households.c.unsubscribed_at.is_not(None))
    ):
        events.add("unsubscribed", h.unsubscribed_at)
    for row in bind.execute(sa.select(letters.c.stage, letters.c.channel, letters.c.run_date)):
        events.add("letter", row.run_date, 1, row.channel, row.stage)
    for row in bind.execute(
        sa.select(outbox.c.last_attempt_at, outbox.c.created_at).where(outbox.c.status == "failed")
    ):
        events.add("mail_failed", row.last_attempt_at or row.created_at)
    return events.rows


def upgrade():
    table = op.create_table(
        "figure_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figure_events")),
    )
    op.create_index("ix_figure_events_kind_on", "figure_events", ["kind", "occurred_on"])
    op.create_index("ix_figure_events_kind_month", "figure_events", ["kind", "month"])
    rows = _backfill(op.get_bind())
    for start in range(0, len(rows), 5000):
        op.bulk_insert(table, rows[start : start + 5000])


def downgrade():
    op.drop_index("ix_figure_events_kind_month", table_name="figure_events")
    op.drop_index("ix_figure_events_kind_on", table_name="figure_events")
    op.drop_table("figure_events")
