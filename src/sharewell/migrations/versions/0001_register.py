"""register: organisations, staff, datasets, gateways, agreements

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "benefit_rules",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("benefit", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.Text(), nullable=False),
        sa.Column("rules_year", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_rules")),
    )
    op.create_table(
        "gateways",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("data_protection_basis", sa.String(length=40), nullable=False),
        sa.Column("right_to_object", sa.Boolean(), nullable=False),
        sa.Column("verified", sa.String(length=20), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=False),
        sa.Column("purpose_codes", sa.JSON(), nullable=False),
        sa.Column("discloser_kinds", sa.JSON(), nullable=False),
        sa.Column("recipient_kinds", sa.JSON(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "data_protection_basis IN ('public_task', 'legal_obligation', 'consent', 'none')",
            name=op.f("ck_gateways_data_protection_basis"),
        ),
        sa.CheckConstraint(
            "kind IN ('gateway', 'use_power', 'duty_to_share', 'co_operation_duty', 'duty', 'offence', 'lawful_basis', 'eligibility_rule')",
            name=op.f("ck_gateways_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('in_force', 'enacted_commencement_unverified', 'proposed')",
            name=op.f("ck_gateways_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateways")),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('council', 'dwp', 'hmrc', 'school', 'health', 'police', 'energy_supplier', 'government_department', 'partner')",
            name=op.f("ck_organisations_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("discloser_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("derived_from_id", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'active', 'suspended', 'expired')",
            name=op.f("ck_agreements_status"),
        ),
        sa.CheckConstraint(
            "valid_from <= valid_until", name=op.f("ck_agreements_valid_dates_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["discloser_id"],
            ["organisations.id"],
            name=op.f("fk_agreements_discloser_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_derived_from_id"), ["derived_from_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreements_discloser_id"), ["discloser_id"], unique=False
        )

    op.create_table(
        "benefit_amounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("applies_from", sa.Text(), nullable=False),
        sa.Column("applies_from_date", sa.Date(), nullable=True),
        sa.Column("verified", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["benefit_rules.id"],
            name=op.f("fk_benefit_amounts_rule_id_benefit_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benefit_amounts")),
        sa.UniqueConstraint("rule_id", "name", name=op.f("uq_benefit_amounts_rule_id_name")),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_datasets_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        sa.UniqueConstraint("organisation_id", "key", name=op.f("uq_datasets_organisation_id_key")),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "role IN ('officer', 'dpo', 'auditor', 'admin')", name=op.f("ck_staff_users_role")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_staff_users_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
    )
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_users_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "agreement_gateways",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("gateway_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_gateways_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gateway_id"], ["gateways.id"], name=op.f("fk_agreement_gateways_gateway_id_gateways")
        ),
        sa.PrimaryKeyConstraint("agreement_id", "gateway_id", name=op.f("pk_agreement_gateways")),
    )
    op.create_table(
        "agreement_purposes",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_purposes_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "code", name=op.f("pk_agreement_purposes")),
    )
    op.create_table(
        "agreement_recipients",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_recipients_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_agreement_recipients_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "organisation_id", name=op.f("pk_agreement_recipients")
        ),
    )
    op.create_table(
        "agreement_status_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["staff_users.id"],
            name=op.f("fk_agreement_status_events_actor_id_staff_users"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_status_events_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_status_events")),
    )
    with op.batch_alter_table("agreement_status_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_status_events_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "dataset_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("sensitivity", sa.String(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "sensitivity IN ('identifier', 'contact', 'personal', 'financial', 'special_category')",
            name=op.f("ck_dataset_fields_sensitivity"),
        ),
        sa.CheckConstraint(
            "type IN ('string', 'nino', 'date', 'postcode', 'money', 'integer', 'boolean', 'uprn')",
            name=op.f("ck_dataset_fields_type"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_fields_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_fields")),
        sa.UniqueConstraint("dataset_id", "name", name=op.f("uq_dataset_fields_dataset_id_name")),
    )
    op.create_table(
        "dataset_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_imports_dataset_id_datasets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_imports")),
    )
    with op.batch_alter_table("dataset_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_imports_dataset_id"), ["dataset_id"], unique=False
        )

    op.create_table(
        "agreement_fields",
        sa.Column("agreement_id", sa.String(length=100), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_fields_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["dataset_fields.id"],
            name=op.f("fk_agreement_fields_field_id_dataset_fields"),
        ),
        sa.PrimaryKeyConstraint("agreement_id", "field_id", name=op.f("pk_agreement_fields")),
    )
    op.create_table(
        "dataset_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_dataset_records_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["dataset_imports.id"],
            name=op.f("fk_dataset_records_import_id_dataset_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_records")),
        sa.UniqueConstraint(
            "dataset_id", "record_id", name=op.f("uq_dataset_records_dataset_id_record_id")
        ),
    )
    with op.batch_alter_table("dataset_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dataset_records_import_id"), ["import_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("dataset_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_records_import_id"))

    op.drop_table("dataset_records")
    op.drop_table("agreement_fields")
    with op.batch_alter_table("dataset_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dataset_imports_dataset_id"))

    op.drop_table("dataset_imports")
    op.drop_table("dataset_fields")
    with op.batch_alter_table("agreement_status_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_status_events_agreement_id"))

    op.drop_table("agreement_status_events")
    op.drop_table("agreement_recipients")
    op.drop_table("agreement_purposes")
    op.drop_table("agreement_gateways")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_users_organisation_id"))

    op.drop_table("staff_users")
    op.drop_table("datasets")
    op.drop_table("benefit_amounts")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_discloser_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_derived_from_id"))

    op.drop_table("agreements")
    op.drop_table("organisations")
    op.drop_table("gateways")
    op.drop_table("benefit_rules")
