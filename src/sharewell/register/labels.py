"""What people call the register's things: names of organisations, laws, agreements and
fields, for pages that show ledger entries (which carry only ids)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from sharewell.register.models import Agreement, Dataset, DatasetField, Gateway, Organisation


@dataclass(frozen=True)
class GatewayLabel:
    id: str
    title: str
    citation: str
    url: str
    consent_required: bool
    right_to_object: bool


@dataclass(frozen=True)
class Labels:
    organisations: dict[str, str] = field(default_factory=dict)
    agreements: dict[str, str] = field(default_factory=dict)
    gateways: dict[str, GatewayLabel] = field(default_factory=dict)
    fields: dict[tuple[str, str], str] = field(default_factory=dict)  # (organisation, "ds.f")

    def organisation(self, organisation_id: str | None) -> str:
        if organisation_id is None:
            return ""
        return self.organisations.get(organisation_id, organisation_id)

    def field(self, organisation_id: str | None, name: str) -> str:
        return self.fields.get((organisation_id or "", name), name)


def labels_for(
    session: Session,
    *,
    organisations: Iterable[str] = (),
    agreements: Iterable[str] = (),
    gateways: Iterable[str] = (),
    fields: Iterable[tuple[str, str]] = (),
) -> Labels:
    """Names for exactly these ids, in one query per kind; unknown ids are simply left out."""
    organisation_ids = sorted(set(organisations))
    agreement_ids = sorted(set(agreements))
    gateway_ids = sorted(set(gateways))
    wanted_fields = sorted(
        {(org, *name.split(".", 1)) for org, name in fields if org and "." in name}
    )
    found = Labels()
    if organisation_ids:
        rows = session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
        )
        found.organisations.update((id_, name) for id_, name in rows)
    if agreement_ids:
        agreement_rows = session.execute(
            select(Agreement.id, Agreement.title).where(Agreement.id.in_(agreement_ids))
        )
        found.agreements.update((id_, title) for id_, title in agreement_rows)
    if gateway_ids:
        for gateway in session.scalars(select(Gateway).where(Gateway.id.in_(gateway_ids))):
            found.gateways[gateway.id] = GatewayLabel(
                id=gateway.id,
                title=gateway.title,
                citation=gateway.citation,
                url=gateway.source_url,
                consent_required=gateway.consent_required,
                right_to_object=gateway.right_to_object,
            )
    if wanted_fields:
        field_rows = session.execute(
            select(Dataset.organisation_id, Dataset.key, DatasetField.name, DatasetField.title)
            .join(DatasetField, DatasetField.dataset_id == Dataset.id)
            .where(
                tuple_(Dataset.organisation_id, Dataset.key, DatasetField.name).in_(wanted_fields)
            )
        )
        for organisation_id, key, name, title in field_rows:
            found.fields[(organisation_id, f"{key}.{name}")] = title
    return found
