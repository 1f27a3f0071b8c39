"""matches keep the approved proposal's reason codes, so the host and the newcomer read the
reasons written to them

Revision ID: 0016_pair_reasons
Revises: 0010_never_reuse_ids
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_pair_reasons"
down_revision = "0010_never_reuse_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason_codes", sa.JSON(), nullable=False, server_default="[]")
        )
    # Matches made before: the codes of the pair's proposal, where the matcher stored them.
    op.execute(
        "UPDATE matches SET reason_codes = (SELECT p.reason_codes FROM match_proposals p"
        " WHERE p.newcomer_id = matches.newcomer_id AND p.host_id = matches.host_id)"
        " WHERE EXISTS (SELECT 1 FROM match_proposals p"
        " WHERE p.newcomer_id = matches.newcomer_id AND p.host_id = matches.host_id)"
    )


def downgrade():
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("reason_codes")
