"""a subject's earlier trail keys, kept when they ask for a new one

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retired_trail_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("trail_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "retired_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("retired_trail_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retired_trail_keys_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("retired_trail_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retired_trail_keys_subject_id"))
    op.drop_table("retired_trail_keys")
