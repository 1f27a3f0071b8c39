"""security: a session version on each account, so sessions can be ended on the server; on
SQLite, ids are never reused (AUTOINCREMENT), so an erased person's id never names someone new

Revision ID: 0010_security
Revises: 0013_sending_hold
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_security"
down_revision = "0013_sending_hold"
branch_labels = None
depends_on = None


def _tables_with_integer_id(bind):
    inspector = sa.inspect(bind)
    for name in inspector.get_table_names():
        if name == "alembic_version" or name.startswith("sqlite_"):
            continue
        primary_key = inspector.get_pk_constraint(name).get("constrained_columns") or []
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        if primary_key == ["id"] and isinstance(columns["id"]["type"], sa.Integer):
            yield name


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return  # PostgreSQL sequences never hand out an id twice
    # Rebuilding a table drops the old one: with foreign keys on, that would delete (cascade)
    # the rows that point at it. They are checked again, all at once, at the end.
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("foreign keys could not be switched off for the table rebuild")
    names = list(_tables_with_integer_id(bind))
    for name in names:
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    if broken:
        raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
