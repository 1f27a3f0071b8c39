"""words coordinators taught the matcher, each read as one interest

Revision ID: 0027_taught_words
Revises: 0026_area_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_taught_words"
down_revision = "0026_area_index"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "taught_words",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("word", sa.String(length=80), nullable=False),
        sa.Column("cleaned", sa.String(length=80), nullable=False),
        sa.Column("interest_id", sa.String(length=64), nullable=False),
        sa.Column("taught_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taught_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["taught_by_id"],
            ["users.id"],
            name=op.f("fk_taught_words_taught_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taught_words")),
        sa.UniqueConstraint("cleaned", name=op.f("uq_taught_words_cleaned")),
        sqlite_autoincrement=True,
    )


def downgrade():
    op.drop_table("taught_words")
