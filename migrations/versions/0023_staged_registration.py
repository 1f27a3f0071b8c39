"""staged registrations: a repeated registration with the same address waits beside the
first one's link (is_change) instead of replacing it

Revision ID: 0023_staged_registration
Revises: 0022_matcher_weights
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_staged_registration"
down_revision = "0022_matcher_weights"
branch_labels = None
depends_on = None

_confirmations = sa.table(
    "registration_confirmations",
    sa.column("id", sa.Integer),
    sa.column("newcomer_id", sa.Integer),
    sa.column("is_change", sa.Boolean),
    sa.column("changes", sa.JSON),
)


def upgrade():
    with op.batch_alter_table(
        "registration_confirmations", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        # server_default only so that the rows already waiting get a value
        batch_op.add_column(
            sa.Column("is_change", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_constraint("uq_registration_confirmations_newcomer_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_registration_confirmations_newcomer_id_is_change", ["newcomer_id", "is_change"]
        )
    # Rows that already held answers were changes to a confirmed registration.
    op.execute(
        _confirmations.update()
        .where(
            _confirmations.c.changes.isnot(None),
            sa.cast(_confirmations.c.changes, sa.Text) != "null",
        )
        .values(is_change=True)
    )


def downgrade():
    # One row per newcomer again: the staged answers beside a first link are dropped.
    first_links = sa.select(_confirmations.c.newcomer_id).where(
        _confirmations.c.is_change.is_(sa.false())
    )
    op.execute(
        _confirmations.delete().where(
            _confirmations.c.is_change.is_(sa.true()),
            _confirmations.c.newcomer_id.in_(first_links),
        )
    )
    with op.batch_alter_table(
        "registration_confirmations", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(
            "uq_registration_confirmations_newcomer_id_is_change", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_registration_confirmations_newcomer_id", ["newcomer_id"]
        )
        batch_op.drop_column("is_change")
