"""broker: API clients and the nonces they have signed with

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=140), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'revoked')", name=op.f("ck_api_clients_status")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_clients_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("key_id", name=op.f("uq_api_clients_key_id")),
    )
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_clients_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "api_client_nonces",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key_id", sa.String(length=140), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_clients.key_id"], name=op.f("fk_api_client_nonces_key_id_api_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client_nonces")),
        sa.UniqueConstraint("key_id", "nonce", name=op.f("uq_api_client_nonces_key_id_nonce")),
    )
    with op.batch_alter_table("api_client_nonces", schema=None) as batch_op:
        batch_op.create_index(
            "ix_api_client_nonces_key_id_seen_at", ["key_id", "seen_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_client_nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_api_client_nonces_key_id_seen_at")

    op.drop_table("api_client_nonces")
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_clients_organisation_id"))

    op.drop_table("api_clients")
