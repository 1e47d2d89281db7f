"""The register's tables: organisations, staff, datasets, gateways, benefit rules, agreements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sharewell.db import Base
from sharewell.register.vocabulary import (
    AgreementStatus,
    DataProtectionBasis,
    FieldType,
    GatewayKind,
    GatewayStatus,
    OrganisationKind,
    Sensitivity,
    check_constraint_values,
)

Slug = String(100)


def _one_of(column: str, enum: type[Any], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({check_constraint_values(enum)})", name=name)


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (_one_of("kind", OrganisationKind, "kind"),)

    id: Mapped[str] = mapped_column(Slug, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    datasets: Mapped[list[Dataset]] = relationship(
        back_populates="organisation", order_by="Dataset.key"
    )


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    key: Mapped[str] = mapped_column(Slug)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship(back_populates="datasets")
    fields: Mapped[list[DatasetField]] = relationship(
        back_populates="dataset", order_by="DatasetField.position", cascade="all, delete-orphan"
    )


class DatasetField(Base):
    __tablename__ = "dataset_fields"
    __table_args__ = (
        UniqueConstraint("dataset_id", "name"),
        _one_of("type", FieldType, "type"),
        _one_of("sensitivity", Sensitivity, "sensitivity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Slug)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    sensitivity: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer)

    dataset: Mapped[Dataset] = relationship(back_populates="fields")


class DatasetImport(Base):
    """One CSV file loaded into a dataset: what, when, how many rows, and its digest."""

    __tablename__ = "dataset_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class DatasetRecord(Base):
    """One row a body holds. ``record_id`` is the holder's own key for it."""

    __tablename__ = "dataset_records"
    __table_args__ = (
        UniqueConstraint("dataset_id", "record_id"),
        Index("ix_dataset_records_dataset_id_nino", "dataset_id", "nino"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    record_id: Mapped[str] = mapped_column(String(100))
    import_id: Mapped[int] = mapped_column(ForeignKey("dataset_imports.id"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The row's National Insurance number (if its dataset has a field of type nino), kept
    # beside the data so the broker finds a person's record by index, not by scanning JSON.
    nino: Mapped[str | None] = mapped_column(String(9))


class Gateway(Base):
    """A legal basis from the catalogue. ``record`` keeps the whole catalogue entry."""

    __tablename__ = "gateways"
    __table_args__ = (
        _one_of("kind", GatewayKind, "kind"),
        _one_of("status", GatewayStatus, "status"),
        _one_of("data_protection_basis", DataProtectionBasis, "data_protection_basis"),
    )

    id: Mapped[str] = mapped_column(Slug, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    jurisdiction: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    consent_required: Mapped[bool] = mapped_column(Boolean)
    data_protection_basis: Mapped[str] = mapped_column(String(40))
    right_to_object: Mapped[bool] = mapped_column(Boolean)
    verified: Mapped[str] = mapped_column(String(20))
    source_url: Mapped[str] = mapped_column(Text)
    purpose_codes: Mapped[list[str]] = mapped_column(JSON)
    discloser_kinds: Mapped[list[str]] = mapped_column(JSON)
    recipient_kinds: Mapped[list[str]] = mapped_column(JSON)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class BenefitRule(Base):
    __tablename__ = "benefit_rules"

    id: Mapped[str] = mapped_column(Slug, primary_key=True)
    benefit: Mapped[str] = mapped_column(Text)
    jurisdiction: Mapped[str] = mapped_column(Text)
    rules_year: Mapped[str] = mapped_column(Text)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)

    amounts: Mapped[list[BenefitAmount]] = relationship(
        back_populates="rule", order_by="BenefitAmount.position", cascade="all, delete-orphan"
    )


class BenefitAmount(Base):
    __tablename__ = "benefit_amounts"
    __table_args__ = (UniqueConstraint("rule_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_id: Mapped[str] = mapped_column(ForeignKey("benefit_rules.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    unit: Mapped[str] = mapped_column(Text)
    applies_from: Mapped[str] = mapped_column(Text)
    applies_from_date: Mapped[dt.date | None] = mapped_column(Date)
    verified: Mapped[str] = mapped_column(String(20))

    rule: Mapped[BenefitRule] = relationship(back_populates="amounts")


class Agreement(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        _one_of("status", AgreementStatus, "status"),
        CheckConstraint("valid_from <= valid_until", name="valid_dates_in_order"),
    )

    id: Mapped[str] = mapped_column(Slug, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    discloser_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.DRAFT.value)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    consent_required: Mapped[bool] = mapped_column(Boolean)
    # A plain id, not a foreign key: the original may live in another council's register.
    derived_from_id: Mapped[str | None] = mapped_column(Slug, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    discloser: Mapped[Organisation] = relationship(foreign_keys=[discloser_id])
    recipients: Mapped[list[AgreementRecipient]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementRecipient.organisation_id"
    )
    gateways: Mapped[list[AgreementGateway]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementGateway.gateway_id"
    )
    purposes: Mapped[list[AgreementPurpose]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementPurpose.code"
    )
    fields: Mapped[list[AgreementField]] = relationship(cascade="all, delete-orphan")
    events: Mapped[list[AgreementStatusEvent]] = relationship(
        cascade="all, delete-orphan", order_by="AgreementStatusEvent.id"
    )


class AgreementRecipient(Base):
    __tablename__ = "agreement_recipients"

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), primary_key=True)

    organisation: Mapped[Organisation] = relationship()


class AgreementGateway(Base):
    __tablename__ = "agreement_gateways"

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    gateway_id: Mapped[str] = mapped_column(ForeignKey("gateways.id"), primary_key=True)

    gateway: Mapped[Gateway] = relationship()


class AgreementPurpose(Base):
    __tablename__ = "agreement_purposes"

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(Slug, primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")


class AgreementField(Base):
    __tablename__ = "agreement_fields"

    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(ForeignKey("dataset_fields.id"), primary_key=True)

    field: Mapped[DatasetField] = relationship()


class AgreementStatusEvent(Base):
    """Who moved an agreement from one status to another, when, and why."""

    __tablename__ = "agreement_status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    # None when sharewell itself moved it (an agreement whose end date has passed expires).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # The public entry recording the change (None for changes made before migration 0010).
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
