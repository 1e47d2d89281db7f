"""The gateway catalogue and benefit rules shipped with sharewell, and loading them.

Both files are compiled from ``shared/reference`` by ``scripts/catalogue/compile.py``; this
module validates what ships and keeps the database in step with it (idempotently).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from sharewell.register.models import BenefitAmount, BenefitRule, Gateway
from sharewell.register.vocabulary import (
    DataProtectionBasis,
    GatewayKind,
    GatewayStatus,
    OrganisationKind,
    Purpose,
)


class CatalogueGateway(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    citation: str
    jurisdiction: Literal["England", "England and Wales", "GB", "UK"]
    kind: GatewayKind
    status: GatewayStatus
    in_force_from: str | None
    disclosers: list[str]
    recipients: list[str]
    discloser_kinds: list[OrganisationKind]
    recipient_kinds: list[OrganisationKind]
    purposes: list[str]
    purpose_codes: list[Purpose]
    consent_required: bool
    consent_note: str
    data_protection_basis: DataProtectionBasis
    right_to_object: bool
    typical_data: list[str]
    source_url: str
    other_sources: list[str]
    verified: Literal["yes", "partial"]
    uncertain: list[str]
    notes: str | None
    machine_note: str | None


class CatalogueAmount(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    amount: Decimal
    unit: str
    applies_from: str
    applies_from_date: dt.date | None
    verified: Literal["yes", "partial"]


class CatalogueBenefitRule(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    benefit: str
    jurisdiction: str
    rules_year: str
    amounts: list[CatalogueAmount] = []


def _read(name: str) -> Any:
    return yaml.safe_load(
        resources.files("sharewell.register")
        .joinpath("data")
        .joinpath(name)
        .read_text(encoding="utf-8")
    )


@cache
def gateway_catalogue() -> tuple[CatalogueGateway, ...]:
    return tuple(TypeAdapter(list[CatalogueGateway]).validate_python(_read("gateways.yaml")))


@cache
def benefit_rules_catalogue() -> tuple[CatalogueBenefitRule, ...]:
    return tuple(
        TypeAdapter(list[CatalogueBenefitRule]).validate_python(_read("benefit-rules.yaml"))
    )


def load_catalogue(session: Session) -> tuple[int, int]:
    """Make the stored gateways and benefit rules match the shipped catalogue.

    Returns how many gateways and benefit rules changed (0, 0 when already in step).
    Gateways are never deleted: agreements may cite them.
    """
    changed_gateways = sum(_upsert_gateway(session, g) for g in gateway_catalogue())
    changed_rules = sum(_upsert_rule(session, r) for r in benefit_rules_catalogue())
    session.flush()
    return changed_gateways, changed_rules


def _upsert_gateway(session: Session, entry: CatalogueGateway) -> bool:
    record = entry.model_dump(mode="json")
    values = {
        "title": entry.title,
        "citation": entry.citation,
        "jurisdiction": entry.jurisdiction,
        "kind": entry.kind.value,
        "status": entry.status.value,
        "consent_required": entry.consent_required,
        "data_protection_basis": entry.data_protection_basis.value,
        "right_to_object": entry.right_to_object,
        "verified": entry.verified,
        "source_url": entry.source_url,
        "purpose_codes": [p.value for p in entry.purpose_codes],
        "discloser_kinds": [k.value for k in entry.discloser_kinds],
        "recipient_kinds": [k.value for k in entry.recipient_kinds],
        "record": record,
    }
    gateway = session.get(Gateway, entry.id)
    if gateway is None:
        session.add(Gateway(id=entry.id, **values))
        return True
    if gateway.record == record:
        return False
    for key, value in values.items():
        setattr(gateway, key, value)
    return True


def _upsert_rule(session: Session, entry: CatalogueBenefitRule) -> bool:
    record = entry.model_dump(mode="json")
    rule = session.get(BenefitRule, entry.id)
    if rule is not None and rule.record == record:
        return False
    if rule is None:
        rule = BenefitRule(id=entry.id)
        session.add(rule)
    rule.benefit = entry.benefit
    rule.jurisdiction = entry.jurisdiction
    rule.rules_year = entry.rules_year
    rule.record = record
    # Flush the removals first: the new amounts may reuse the old names (a unique pair).
    rule.amounts.clear()
    session.flush()
    rule.amounts.extend(
        BenefitAmount(
            position=position,
            name=amount.name,
            amount=amount.amount,
            unit=amount.unit,
            applies_from=amount.applies_from,
            applies_from_date=amount.applies_from_date,
            verified=amount.verified,
        )
        for position, amount in enumerate(entry.amounts)
    )
    return True


def gateways_by_id(session: Session, ids: set[str]) -> dict[str, Gateway]:
    return {g.id: g for g in session.scalars(select(Gateway).where(Gateway.id.in_(ids)))}
