"""welcome letters: households, residents, letters, batches, job runs

Revision ID: 0003_letters
Revises: 0002_matches
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_letters"
down_revision = "0002_matches"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=60), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running", "done", "failed", name="job_run_status", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job_name", "period_key", name=op.f("uq_job_runs_job_name_period_key")),
    )
    op.create_table(
        "letter_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("letter_count", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("csv", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("csv_sha256", sa.String(length=64), nullable=True),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_batches")),
    )
    with op.batch_alter_table("letter_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_batches_run_date"), ["run_date"], unique=False)

    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_key", sa.String(length=64), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("town", sa.String(length=80), nullable=False),
        sa.Column("care_of", sa.String(length=200), nullable=True),
        sa.Column("moved_in", sa.Date(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=True),
        sa.Column("is_linked_by_hand", sa.Boolean(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["newcomer_id"],
            ["newcomers.id"],
            name=op.f("fk_households_newcomer_id_newcomers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("household_key", name=op.f("uq_households_household_key")),
        sa.UniqueConstraint("newcomer_id", name=op.f("uq_households_newcomer_id")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_moved_in"), ["moved_in"], unique=False)

    op.create_table(
        "letter_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("age_group", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_letter_texts_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_texts")),
        sa.UniqueConstraint(
            "stage", "age_group", "language", name=op.f("uq_letter_texts_stage_age_group_language")
        ),
    )
    op.create_table(
        "pending_inmovers_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_pending_inmovers_imports_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_inmovers_imports")),
        sa.UniqueConstraint("token", name=op.f("uq_pending_inmovers_imports_token")),
    )
    with op.batch_alter_table("pending_inmovers_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_inmovers_imports_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("age_group", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column(
            "channel",
            sa.Enum("email", "print", name="letter_channel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["letter_batches.id"],
            name=op.f("fk_letters_batch_id_letter_batches"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_letters_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("household_id", "stage", name=op.f("uq_letters_household_id_stage")),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letters_run_date"), ["run_date"], unique=False)
        batch_op.create_index("ix_letters_unbatched", ["channel", "batch_id"], unique=False)

    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_residents_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint(
            "household_id", "person_key", name=op.f("uq_residents_household_id_person_key")
        ),
    )
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_residents_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_residents_person_key"), ["person_key"], unique=False)


def downgrade():
    op.drop_table("residents")
    op.drop_table("letters")
    op.drop_table("pending_inmovers_imports")
    op.drop_table("letter_texts")
    op.drop_table("households")
    op.drop_table("letter_batches")
    op.drop_table("job_runs")
