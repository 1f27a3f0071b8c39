"""the matcher's weights, learned from coordinators' decisions or reset to the defaults

Revision ID: 0022_matcher_weights
Revises: 0021_list_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_matcher_weights"
down_revision = "0021_list_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "matcher_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "learned", "defaults", "reset", name="weights_source", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("n_decisions", sa.Integer(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_matcher_weights_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matcher_weights")),
        sqlite_autoincrement=True,
    )


def downgrade():
    op.drop_table("matcher_weights")
