"""proposals keep the matcher's reasons as data and the parts of the score

Revision ID: 0012_reason_codes
Revises: 0013_sign_in_links
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_reason_codes"
down_revision = "0013_sign_in_links"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason_codes", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("components", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        batch_op.drop_column("components")
        batch_op.drop_column("reason_codes")
