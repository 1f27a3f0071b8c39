"""newcomers' own page: when they paused, when they last changed their own answers

Revision ID: 0014_newcomer_self_service
Revises: 0005_outbox
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_newcomer_self_service"
down_revision = "0005_outbox"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("newcomers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("self_updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("newcomers", schema=None) as batch_op:
        batch_op.drop_column("self_updated_at")
        batch_op.drop_column("paused_at")
