"""pending uploads: both imports keep a file between its dry-run report and the confirm in one
table (the register extract's table, with the kind of import)

Revision ID: 0025_pending_uploads
Revises: 0024_proposal_computed
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_pending_uploads"
down_revision = "0024_proposal_computed"
branch_labels = None
depends_on = None

COLUMNS = "token, file_name, data, sha256, uploaded_by_id, created_at"


def _create(name: str, with_kind: bool) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        *([sa.Column("kind", sa.String(length=16), nullable=False)] if with_kind else []),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f(f"fk_{name}_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token", name=op.f(f"uq_{name}_token")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f(f"ix_{name}_created_at"), name, ["created_at"], unique=False)


def upgrade():
    _create("pending_uploads", with_kind=True)
    op.execute(
        f"INSERT INTO pending_uploads (kind, {COLUMNS}) "
        f"SELECT 'inmovers', {COLUMNS} FROM pending_inmovers_imports"
    )
    op.drop_table("pending_inmovers_imports")


def downgrade():
    _create("pending_inmovers_imports", with_kind=False)
    op.execute(
        f"INSERT INTO pending_inmovers_imports ({COLUMNS}) "
        f"SELECT {COLUMNS} FROM pending_uploads WHERE kind = 'inmovers'"
    )
    op.drop_table("pending_uploads")
