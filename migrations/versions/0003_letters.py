"""welcome letters (issue 6): households, residents, letters, batches, job runs

Revision ID: 0003_letters
Revises: 0002_matches
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003_letters"
down_revision = "0002_matches"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
