"""figure months: the event log counted per month, kept exact by triggers

Revision ID: 0017_figure_months
Revises: 0020_totp

``figure_months`` holds one row per month and distinct (kind, channel, stage, value, since) of
``figure_events`` with the number of such events; a dimension an event lacks is stored as ''
or 0 (the columns form the primary key). It is filled from the events already stored, then
triggers on ``figure_events`` add every inserted row, and take back deleted or changed ones, in
the same statement's transaction, whoever writes them (the services, an import, a bulk load).
PostgreSQL counts each statement's rows at once (statement triggers with transition tables,
upserting in key order); SQLite counts row by row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_figure_months"
down_revision = "0020_totp"
branch_labels = None
depends_on = None

KEYS = "kind, month, channel, stage, value, since"


def _keys(row: str, dialect: str) -> str:
    """The key columns of ``row``'s events, with '' and 0 for the dimensions it lacks."""
    since = (
        f"coalesce(to_char({row}since, 'YYYY-MM-DD'), '')"
        if dialect == "postgresql"
        else f"coalesce({row}since, '')"
    )
    return (
        f"{row}kind, {row}month, coalesce({row}channel, ''), coalesce({row}stage, 0), "
        f"{row}value, {since}"
    )


def _postgresql_statements() -> list[str]:
    add = (
        f"INSERT INTO figure_months ({KEYS}, events) "
        f"SELECT {_keys('', 'postgresql')}, count(*) FROM added "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6 "
        f"ON CONFLICT ({KEYS}) DO UPDATE SET events = figure_months.events + EXCLUDED.events;"
    )
    take = (
        "UPDATE figure_months AS m SET events = m.events - r.events FROM ("
        f"SELECT {_keys('', 'postgresql')}, count(*) AS events FROM removed "
        "GROUP BY 1, 2, 3, 4, 5, 6"
        f") AS r ({KEYS}, events) "
        "WHERE (m.kind, m.month, m.channel, m.stage, m.value, m.since) "
        "= (r.kind, r.month, r.channel, r.stage, r.value, r.since);"
        " DELETE FROM figure_months WHERE events <= 0;"
    )

    def function(name: str, body: str) -> str:
        return (
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} RETURN NULL; END $$"
        )

    return [
        function("figure_months_added", add),
        function("figure_months_removed", take),
        function("figure_months_changed", take + " " + add),
        "CREATE TRIGGER figure_events_added AFTER INSERT ON figure_events "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION figure_months_added()",
        "CREATE TRIGGER figure_events_removed AFTER DELETE ON figure_events "
        "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
        "EXECUTE FUNCTION figure_months_removed()",
        "CREATE TRIGGER figure_events_changed AFTER UPDATE ON figure_events "
        "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION figure_months_changed()",
    ]


def _sqlite_statements() -> list[str]:
    def add(row: str) -> str:
        return (
            f"INSERT INTO figure_months ({KEYS}, events) VALUES ({_keys(row, 'sqlite')}, 1) "
            f"ON CONFLICT ({KEYS}) DO UPDATE SET events = events + 1;"
        )

    def take(row: str) -> str:
        match = f"(kind, month, channel, stage, value, since) = ({_keys(row, 'sqlite')})"
        return (
            f"UPDATE figure_months SET events = events - 1 WHERE {match}; "
            f"DELETE FROM figure_months WHERE {match} AND events <= 0;"
        )

    return [
        f"CREATE TRIGGER figure_events_added AFTER INSERT ON figure_events BEGIN {add('NEW.')} END",
        "CREATE TRIGGER figure_events_removed AFTER DELETE ON figure_events "
        f"BEGIN {take('OLD.')} END",
        "CREATE TRIGGER figure_events_changed AFTER UPDATE ON figure_events "
        f"BEGIN {take('OLD.')} {add('NEW.')} END",
    ]


def upgrade():
    op.create_table(
        "figure_months",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("since", sa.String(length=10), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "kind", "month", "channel", "stage", "value", "since", name=op.f("pk_figure_months")
        ),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        f"INSERT INTO figure_months ({KEYS}, events) "
        f"SELECT {_keys('', dialect)}, count(*) FROM figure_events GROUP BY 1, 2, 3, 4, 5, 6"
    )
    statements = _postgresql_statements() if dialect == "postgresql" else _sqlite_statements()
    for statement in statements:
        op.execute(statement)


def downgrade():
    for trigger in ("figure_events_added", "figure_events_removed", "figure_events_changed"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {trigger} ON figure_events")
        else:
            op.execute(f"DROP TRIGGER {trigger}")
    if op.get_bind().dialect.name == "postgresql":
        for function in ("figure_months_added", "figure_months_removed", "figure_months_changed"):
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("figure_months")
