"""never reuse ids on SQLite: AUTOINCREMENT on every table, so an erased person's id (in the
audit log, in old links) never names someone new

Revision ID: 0010_never_reuse_ids
Revises: 0012_reason_codes
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_never_reuse_ids"
down_revision = "0012_reason_codes"
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
    pass  # AUTOINCREMENT only stops ids from being reused; keeping it harms nothing
