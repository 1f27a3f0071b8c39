"""coordinators' notes on a host or a newcomer

Revision ID: 0016_notes
Revises: 0016_pair_reasons
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_notes"
down_revision = "0016_pair_reasons"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("newcomer_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(host_id IS NULL) <> (newcomer_id IS NULL)", name=op.f("ck_notes_one_person")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_notes_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_notes_host_id_hosts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_notes_newcomer_id_newcomers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_notes_host", "notes", ["host_id"])
    op.create_index("ix_notes_newcomer", "notes", ["newcomer_id"])


def downgrade():
    op.drop_index("ix_notes_newcomer", table_name="notes")
    op.drop_index("ix_notes_host", table_name="notes")
    op.drop_table("notes")
