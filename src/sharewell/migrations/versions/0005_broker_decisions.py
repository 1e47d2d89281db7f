"""broker: requests and decisions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "broker_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("requester_id", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=100), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("subject_count", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_broker_requests_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["organisations.id"],
            name=op.f("fk_broker_requests_requester_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_requests")),
        sa.UniqueConstraint(
            "requester_id",
            "idempotency_key",
            name=op.f("uq_broker_requests_requester_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("broker_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broker_requests_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "broker_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("released_fields", sa.JSON(), nullable=False),
        sa.Column("refused_fields", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('permit', 'partial', 'deny')", name=op.f("ck_broker_decisions_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["broker_requests.id"],
            name=op.f("fk_broker_decisions_request_id_broker_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_broker_decisions_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_decisions")),
        sa.UniqueConstraint("ledger_index", name=op.f("uq_broker_decisions_ledger_index")),
        sa.UniqueConstraint(
            "request_id", "position", name=op.f("uq_broker_decisions_request_id_position")
        ),
    )
    with op.batch_alter_table("broker_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broker_decisions_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("broker_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broker_decisions_subject_id"))

    op.drop_table("broker_decisions")
    with op.batch_alter_table("broker_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broker_requests_requester_id"))

    op.drop_table("broker_requests")
