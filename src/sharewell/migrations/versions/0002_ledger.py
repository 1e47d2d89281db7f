"""ledger: entries, nodes, checkpoints, cosignatures

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_ledger_checkpoints")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_ledger_entries")),
    )
    op.create_table(
        "ledger_integration",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("integrated_size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_integration")),
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("k", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "k", name=op.f("pk_ledger_nodes")),
    )
    op.create_table(
        "ledger_sequence",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_index", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_sequence")),
    )
    op.create_table(
        "ledger_cosignatures",
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["checkpoint_size"],
            ["ledger_checkpoints.size"],
            name=op.f("fk_ledger_cosignatures_checkpoint_size_ledger_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("checkpoint_size", "witness", name=op.f("pk_ledger_cosignatures")),
    )
    # The two counters start at an empty log; every append and integration updates them.
    op.execute("INSERT INTO ledger_sequence (id, next_index) VALUES (1, 0)")
    op.execute("INSERT INTO ledger_integration (id, integrated_size) VALUES (1, 0)")


def downgrade() -> None:

    op.drop_table("ledger_cosignatures")
    op.drop_table("ledger_sequence")
    op.drop_table("ledger_nodes")
    op.drop_table("ledger_integration")
    op.drop_table("ledger_entries")
    op.drop_table("ledger_checkpoints")
