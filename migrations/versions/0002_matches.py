"""matches: match lifecycle and decisions

Revision ID: 0002_matches
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_matches"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

# One active match per newcomer (kept in step with avestavard/models/matches.py).
ACTIVE = "state IN ('approved', 'host_notified', 'accepted', 'introduced', 'met')"


def upgrade():
    op.create_table(
        "match_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("is_assigned", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons_sv", sa.JSON(), nullable=False),
        sa.Column("reasons_en", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "approved", "rejected", name="proposal_status", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_match_proposals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["hosts.id"],
            name=op.f("fk_match_proposals_host_id_hosts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_match_proposals_newcomer_id_newcomers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_proposals")),
        sa.UniqueConstraint(
            "newcomer_id", "host_id", name=op.f("uq_match_proposals_newcomer_id_host_id")
        ),
    )
    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_proposals_host_id"), ["host_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_match_proposals_newcomer_id"), ["newcomer_id"], unique=False
        )

    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "approved",
                "host_notified",
                "accepted",
                "declined",
                "introduced",
                "met",
                "ended",
                name="match_state",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons_sv", sa.JSON(), nullable=False),
        sa.Column("reasons_en", sa.JSON(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("host_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("declined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        sa.Column("introduced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("answer_nonce", sa.String(length=64), nullable=True),
        sa.Column("answer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_matches_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["hosts.id"], name=op.f("fk_matches_host_id_hosts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_matches_newcomer_id_newcomers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_host_state", ["host_id", "state"], unique=False)
        batch_op.create_index("ix_matches_state", ["state"], unique=False)
        batch_op.create_index(
            "uq_matches_active_newcomer",
            ["newcomer_id"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )

    op.create_table(
        "match_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("match_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("host", "newcomer", name="follow_up_side", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("met", sa.Boolean(), nullable=True),
        sa.Column("fit", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "fit IS NULL OR (fit >= 1 AND fit <= 5)", name=op.f("ck_match_follow_ups_fit_1_to_5")
        ),
        sa.ForeignKeyConstraint(
            ["match_id"],
            ["matches.id"],
            name=op.f("fk_match_follow_ups_match_id_matches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_follow_ups")),
        sa.UniqueConstraint("match_id", "side", name=op.f("uq_match_follow_ups_match_id_side")),
    )


def downgrade():
    op.drop_table("match_follow_ups")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_matches_active_newcomer",
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.drop_index("ix_matches_state")
        batch_op.drop_index("ix_matches_host_state")
    op.drop_table("matches")
    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_proposals_newcomer_id"))
        batch_op.drop_index(batch_op.f("ix_match_proposals_host_id"))
    op.drop_table("match_proposals")
