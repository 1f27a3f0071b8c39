"""profiles: registration and import additions

Revision ID: 0004_profiles
Revises: 0003_letters
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_profiles"
down_revision = "0003_letters"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_registration_confirmations_newcomer_id_newcomers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_confirmations")),
        sa.UniqueConstraint("newcomer_id", name=op.f("uq_registration_confirmations_newcomer_id")),
        sa.UniqueConstraint("nonce", name=op.f("uq_registration_confirmations_nonce")),
    )


def downgrade():
    op.drop_table("registration_confirmations")
