"""mail outbox sender (issue 5) additions

Revision ID: 0005_outbox
Revises: 0004_profiles
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_outbox"
down_revision = "0004_profiles"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
