"""an index for when the open proposals were last computed (shown on Att matcha)

Revision ID: 0024_proposal_computed
Revises: 0023_staged_registration
"""

from alembic import op

revision = "0024_proposal_computed"
down_revision = "0023_staged_registration"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_match_proposals_status_computed", "match_proposals", ["status", "computed_at"]
    )


def downgrade():
    op.drop_index("ix_match_proposals_status_computed", table_name="match_proposals")
