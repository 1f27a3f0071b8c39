"""folded search keys for hosts, newcomers and households, filled for existing rows

Revision ID: 0011_workspace_search
Revises: 0010_security
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_workspace_search"
down_revision = "0010_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "search_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_tokens")),
    )
    op.create_index("ix_search_tokens_prefix", "search_tokens", ["prefix", "kind"])
    op.create_index("ix_search_tokens_token", "search_tokens", ["token"])
    op.create_index("ix_search_tokens_ref", "search_tokens", ["kind", "ref_id"])

    # The keys of the people already in the database, computed as the application does.
    from avestavard.services.search import rebuild_search_keys

    rebuild_search_keys(op.get_bind())


def downgrade():
    op.drop_index("ix_search_tokens_ref", table_name="search_tokens")
    op.drop_index("ix_search_tokens_token", table_name="search_tokens")
    op.drop_index("ix_search_tokens_prefix", table_name="search_tokens")
    op.drop_table("search_tokens")
