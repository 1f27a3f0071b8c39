"""security: a session version on each account, so sessions can be ended on the server

Revision ID: 0010_security
Revises: 0013_sending_hold
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_security"
down_revision = "0013_sending_hold"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
