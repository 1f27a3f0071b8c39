"""readable outbox: the history of delivery attempts that did not end in "sent"

Revision ID: 0013_outbox_attempts
Revises: 0011_workspace_search
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_outbox_attempts"
down_revision = "0011_workspace_search"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reply_code", sa.Integer(), nullable=True),
        sa.Column("enhanced_status", sa.String(length=16), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_outbox_attempts_message_id_outbox_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attempts")),
    )
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_attempts_message_id"), ["message_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("outbox_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_attempts_message_id"))
    op.drop_table("outbox_attempts")
