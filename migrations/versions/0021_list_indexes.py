"""indexes for the workspace lists: a newcomer's matches by state, matches by approval time

Revision ID: 0021_list_indexes
Revises: 0017_figure_months
"""

from alembic import op

revision = "0021_list_indexes"
down_revision = "0017_figure_months"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_matches_newcomer_state", "matches", ["newcomer_id", "state"])
    op.create_index("ix_matches_approved_at", "matches", ["approved_at"])


def downgrade():
    op.drop_index("ix_matches_approved_at", table_name="matches")
    op.drop_index("ix_matches_newcomer_state", table_name="matches")
