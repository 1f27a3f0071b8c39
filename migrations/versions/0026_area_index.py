"""indexes on hosts' and newcomers' areas: the lists' area filter and its choices

Revision ID: 0026_area_index
Revises: 0025_pending_uploads
"""

from alembic import op

revision = "0026_area_index"
down_revision = "0025_pending_uploads"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_hosts_area", "hosts", ["area"])
    op.create_index("ix_newcomers_area", "newcomers", ["area"])


def downgrade():
    op.drop_index("ix_newcomers_area", table_name="newcomers")
    op.drop_index("ix_hosts_area", table_name="hosts")
