"""mail outbox sender: claim token, hand-over mark, last attempt, resend count

Revision ID: 0005_outbox
Revises: 0004_profiles
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_outbox"
down_revision = "0004_profiles"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        # server_default only so that rows queued before this revision get a value
        batch_op.add_column(
            sa.Column("resend_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_claim_token"), ["claim_token"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_claim_token"))
        batch_op.drop_column("resend_count")
        batch_op.drop_column("last_attempt_at")
        batch_op.drop_column("handed_over_at")
        batch_op.drop_column("claim_token")
