"""citizen accounts: OpenID Connect identities linked to subjects, and citizen sessions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "citizen_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_citizen_accounts_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_accounts")),
        sa.UniqueConstraint("issuer", "sub", name=op.f("uq_citizen_accounts_issuer_sub")),
    )
    with op.batch_alter_table("citizen_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_accounts_subject_id"), ["subject_id"], unique=False
        )
    op.create_table(
        "citizen_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["citizen_accounts.id"],
            name=op.f("fk_citizen_sessions_account_id_citizen_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_sessions")),
    )
    with op.batch_alter_table("citizen_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_sessions_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_sessions_account_id"))
    op.drop_table("citizen_sessions")
    with op.batch_alter_table("citizen_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_accounts_subject_id"))
    op.drop_table("citizen_accounts")
