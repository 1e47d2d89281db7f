"""The register's boundary types: the versioned YAML documents and the public JSON.

Two document kinds share one file format, told apart by their ``sharewell:`` key:
``organisation/v1`` (a body, its datasets and fields, its staff) and ``agreement/v1`` (an
information-sharing agreement). ``docs/schema/`` publishes the JSON Schema of both.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sharewell.register.vocabulary import (
    AgreementStatus,
    FieldType,
    OrganisationKind,
    Purpose,
    Role,
    Sensitivity,
)

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$"),
    Field(description="Lower-case letters, digits and hyphens, e.g. `northbridge-hb-fsm`."),
]
FieldName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$"),
    Field(description="Lower-case letters, digits and underscores, e.g. `weekly_income`."),
]
RECORD_KEY_FIELD = "record_id"
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


def _duplicates(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldDocument(_Document):
    name: FieldName
    title: Text
    type: FieldType
    sensitivity: Sensitivity
    required: bool = False


class DatasetDocument(_Document):
    key: Slug
    title: Text
    description: LongText = ""
    fields: list[FieldDocument] = Field(
        min_length=1,
        description="The columns of the dataset. One must be `record_id`: the holder's own "
        "key for each row.",
    )

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        if dupes := _duplicates([f.name for f in self.fields]):
            raise ValueError(f"field names appear more than once: {', '.join(dupes)}")
        if RECORD_KEY_FIELD not in {f.name for f in self.fields}:
            raise ValueError(
                f"dataset '{self.key}' has no `{RECORD_KEY_FIELD}` field; add one holding "
                "the holder's own key for each row"
            )
        return self


class StaffDocument(_Document):
    email: Email
    name: Text
    role: Role


class OrganisationDocument(_Document):
    sharewell: Literal["organisation/v1"]
    id: Slug
    name: Text
    kind: OrganisationKind
    datasets: list[DatasetDocument] = []
    staff: list[StaffDocument] = []

    @model_validator(mode="after")
    def _unique_children(self) -> Self:
        if dupes := _duplicates([d.key for d in self.datasets]):
            raise ValueError(f"dataset keys appear more than once: {', '.join(dupes)}")
        if dupes := _duplicates([s.email for s in self.staff]):
            raise ValueError(f"staff emails appear more than once: {', '.join(dupes)}")
        return self


class PurposeDocument(_Document):
    code: Purpose
    description: LongText = ""


class AgreementDatasetDocument(_Document):
    dataset: Slug = Field(description="Key of a dataset held by the discloser.")
    fields: list[FieldName] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self) -> Self:
        if dupes := _duplicates(self.fields):
            raise ValueError(f"fields listed more than once: {', '.join(dupes)}")
        return self


class AgreementDocument(_Document):
    """An information-sharing agreement, portable between councils.

    Status is not part of the document: it is the register's state, changed only by a DPO of a
    party. An imported or copied agreement always starts as a draft.
    """

    sharewell: Literal["agreement/v1"]
    id: Slug
    title: Text
    summary: LongText = ""
    discloser: Slug
    recipients: list[Slug] = Field(min_length=1)
    gateways: list[Slug] = Field(min_length=1, description="Ids from the gateway catalogue.")
    purposes: list[PurposeDocument] = Field(min_length=1)
    datasets: list[AgreementDatasetDocument] = Field(min_length=1)
    valid_from: dt.date
    valid_until: dt.date
    consent_required: bool | None = Field(
        default=None,
        description="Whether each subject's consent is needed. Omitted: required if any "
        "gateway cited requires consent. It cannot be false when a gateway requires consent.",
    )
    derived_from: Slug | None = Field(
        default=None, description="The agreement this one was copied from, as a template."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.valid_until < self.valid_from:
            raise ValueError(
                f"valid_until ({self.valid_until}) is before valid_from ({self.valid_from}); "
                "the agreement must end on or after the day it starts"
            )
        if self.discloser in self.recipients:
            raise ValueError(f"the discloser {self.discloser} cannot also be a recipient")
        for label, values in (
            ("recipients", self.recipients),
            ("gateways", self.gateways),
            ("purposes", [p.code.value for p in self.purposes]),
            ("datasets", [d.dataset for d in self.datasets]),
        ):
            if dupes := _duplicates(values):
                raise ValueError(f"{label} listed more than once: {', '.join(dupes)}")
        return self


Document = Annotated[OrganisationDocument | AgreementDocument, Field(discriminator="sharewell")]


class PublicGateway(BaseModel):
    id: str
    title: str
    citation: str
    kind: str
    status: str
    jurisdiction: str
    consent_required: bool
    source_url: str


class PublicPurpose(BaseModel):
    code: str
    title: str
    description: str


class PublicOrganisation(BaseModel):
    id: str
    name: str
    kind: str


class PublicDatasetFields(BaseModel):
    dataset: str
    title: str
    fields: list[str]


class PublicAgreement(BaseModel):
    """What the public register says about an agreement: the law and the fields, no people."""

    id: str
    title: str
    summary: str
    status: AgreementStatus
    discloser: PublicOrganisation
    recipients: list[PublicOrganisation]
    gateways: list[PublicGateway]
    purposes: list[PublicPurpose]
    datasets: list[PublicDatasetFields]
    valid_from: dt.date
    valid_until: dt.date
    consent_required: bool
    derived_from: str | None


class PublicRegister(BaseModel):
    agreements: list[PublicAgreement]
    gateways_url: str
    schema_url: str
