"""consent: subjects, identifiers, consent records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("trail_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    op.create_table(
        "subject_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("scheme", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=302), nullable=False),
        sa.CheckConstraint(
            "scheme IN ('nino', 'dataset_record')", name=op.f("ck_subject_identifiers_scheme")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subject_identifiers_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_identifiers")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_subject_identifiers_scheme_value")),
    )
    with op.batch_alter_table("subject_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_identifiers_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=True),
        sa.Column("purpose", sa.String(length=100), nullable=True),
        sa.Column("recipient_id", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("captured_via", sa.String(length=20), nullable=False),
        sa.Column("captured_by_id", sa.Integer(), nullable=True),
        sa.Column("wording", sa.Text(), nullable=True),
        sa.Column("wording_version", sa.String(length=80), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "captured_via IN ('portal', 'paper', 'phone', 'in_person', 'api')",
            name=op.f("ck_consent_records_captured_via"),
        ),
        sa.CheckConstraint(
            "purpose IN ('benefit-administration', 'fraud-and-error', 'benefit-take-up', 'free-school-meals', 'welfare-services', 'public-service-delivery', 'fuel-poverty', 'debt-recovery', 'safeguarding', 'homelessness-prevention', 'council-tax', 'consented-purpose')",
            name=op.f("ck_consent_records_purpose"),
        ),
        sa.CheckConstraint(
            "state <> 'granted' OR wording IS NOT NULL",
            name=op.f("ck_consent_records_granted_has_wording"),
        ),
        sa.CheckConstraint(
            "state IN ('granted', 'withdrawn', 'objected')", name=op.f("ck_consent_records_state")
        ),
        sa.CheckConstraint(
            "(agreement_id IS NULL AND purpose IS NOT NULL) OR (agreement_id IS NOT NULL AND purpose IS NULL)",
            name=op.f("ck_consent_records_one_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_consent_records_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["captured_by_id"],
            ["staff_users.id"],
            name=op.f("fk_consent_records_captured_by_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["organisations.id"],
            name=op.f("fk_consent_records_recipient_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_consent_records_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("ledger_index", name=op.f("uq_consent_records_ledger_index")),
    )
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_records_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_records_subject_id"))

    op.drop_table("consent_records")
    with op.batch_alter_table("subject_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_identifiers_subject_id"))

    op.drop_table("subject_identifiers")
    op.drop_table("subjects")
