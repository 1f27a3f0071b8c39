"""sending with care: held and cancelled outbox rows, undoable approvals with a personal note

Revision ID: 0013_sending_hold
Revises: 0014_newcomer_self_service
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_sending_hold"
down_revision = "0014_newcomer_self_service"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("matches", schema=None) as batch_op:
        # server_default only so that matches made before this revision get a value
        batch_op.add_column(
            sa.Column("coordinator_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("hold_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("approval_batch", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_matches_approval_batch"), ["approval_batch"], unique=False
        )


def downgrade():
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_matches_approval_batch"))
        batch_op.drop_column("undone_at")
        batch_op.drop_column("approval_batch")
        batch_op.drop_column("hold_until")
        batch_op.drop_column("coordinator_note")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("held_until")
