"""profiles (issue 3): registration and import additions

Revision ID: 0004_profiles
Revises: 0003_letters
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0004_profiles"
down_revision = "0003_letters"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
