"""What people call the register's things: names of organisations, laws, agreements and
fields, for pages that show ledger entries (which carry only ids)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from sharewell.register.models import Agreement, Dataset, DatasetField, Gateway, Organisation
from sharewell.register.plain_law import plain_law


@dataclass(frozen=True)
class GatewayLabel:
    id: str
    title: str
    citation: str
    url: str
    consent_required: bool
    right_to_object: bool
    says: str = ""  # what it allows, in a resident's words
    law: str = ""  # its short name, for a resident


@dataclass(frozen=True)
class Labels:
    organisations: dict[str, str] = field(default_factory=dict)
    agreements: dict[str, str] = field(default_factory=dict)
    gateways: dict[str, GatewayLabel] = field(default_factory=dict)
    fields: dict[tuple[str, str], str] = field(default_factory=dict)  # (organisation, "ds.f")
    disclosers: dict[str, str] = field(default_factory=dict)  # agreement id → discloser id

    def organisation(self, organisation_id: str | None) -> str:
        if organisation_id is None:
            return ""
        return self.organisations.get(organisation_id, organisation_id)

    def field(self, organisation_id: str | None, name: str) -> str:
        """The field's title in its dataset; a name the register no longer has is said in
        words (``housing-benefit-claims.first_name`` → "First name"), never shown raw."""
        title = self.fields.get((organisation_id or "", name))
        if title is not None:
            return title
        words = name.rpartition(".")[2].replace("_", " ").replace("-", " ").strip()
        return words[:1].upper() + words[1:] if words else "Unnamed information"

    def field_under(self, agreement_id: str | None, name: str) -> str:
        """A field asked for under an agreement: its title in the discloser's dataset."""
        return self.field(self.disclosers.get(agreement_id or ""), name)


def labels_for(
    session: Session,
    *,
    organisations: Iterable[str] = (),
    agreements: Iterable[str] = (),
    gateways: Iterable[str] = (),
    fields: Iterable[tuple[str, str]] = (),
    fields_under: Iterable[tuple[str, str]] = (),
) -> Labels:
    """Names for exactly these ids, in one query per kind; unknown ids are simply left out.

    ``fields`` are (discloser, "dataset.field"); ``fields_under`` are (agreement, "dataset.field")
    for a field known only by the agreement it was asked under.
    """
    under = list(fields_under)
    organisation_ids = sorted(set(organisations))
    agreement_ids = sorted(set(agreements) | {agreement for agreement, _ in under if agreement})
    gateway_ids = sorted(set(gateways))
    found = Labels()
    if organisation_ids:
        rows = session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
        )
        found.organisations.update((id_, name) for id_, name in rows)
    if agreement_ids:
        agreement_rows = session.execute(
            select(Agreement.id, Agreement.title, Agreement.discloser_id).where(
                Agreement.id.in_(agreement_ids)
            )
        )
        for id_, title, discloser in agreement_rows:
            found.agreements[id_] = title
            found.disclosers[id_] = discloser
    if gateway_ids:
        for gateway in session.scalars(select(Gateway).where(Gateway.id.in_(gateway_ids))):
            plain = plain_law(gateway.id, gateway.title, gateway.citation)
            found.gateways[gateway.id] = GatewayLabel(
                id=gateway.id,
                title=gateway.title,
                citation=gateway.citation,
                url=gateway.source_url,
                consent_required=gateway.consent_required,
                right_to_object=gateway.right_to_object,
                says=plain.says,
                law=plain.law,
            )
    discloser_fields = [(found.disclosers.get(agreement, ""), name) for agreement, name in under]
    wanted_fields = sorted(
        {
            (org, *name.split(".", 1))
            for org, name in [*fields, *discloser_fields]
            if org and "." in name
        }
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
