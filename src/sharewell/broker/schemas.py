"""The broker's boundary types: a request for data, and what is said back about each subject."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sharewell.consent.errors import IdentifierInvalid
from sharewell.consent.services import normalise_identifier
from sharewell.consent.vocabulary import IdentifierScheme
from sharewell.register.schemas import Slug
from sharewell.register.vocabulary import Purpose

# A campaign may ask about a whole borough's pensioners; more than this must be split.
MAX_SUBJECTS = 100_000
MAX_FIELDS = 200

FieldReference = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?\.[a-z][a-z0-9_]{0,99}$"),
    Field(description="DATASET.FIELD of the discloser's data, e.g. `housing-benefit-claims.dob`."),
]
IdempotencyKey = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class SubjectReference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: IdentifierScheme = Field(description="`nino`, or `dataset_record` (ORG/DATASET/ID).")
    value: Annotated[str, StringConstraints(min_length=1, max_length=300)]

    @field_validator("value")
    @classmethod
    def _well_formed(cls, value: str, info: ValidationInfo) -> str:
        # Checked here so a malformed identifier is a 422 naming subjects/N/value.
        scheme = info.data.get("scheme")
        if scheme is not None:
            try:
                normalise_identifier(scheme, value)
            except IdentifierInvalid as invalid:
                raise ValueError(invalid.diagnostics().replace("\n", " ")) from None
        return value


class DecisionRequest(BaseModel):
    """Who is asked about, for what purpose, under which agreement, and which fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: Purpose
    agreement: Slug | None = Field(
        default=None,
        description="The agreement relied on; omitted, the broker finds an active agreement "
        "naming the requester as recipient for this purpose.",
    )
    subjects: list[SubjectReference] = Field(min_length=1, max_length=MAX_SUBJECTS)
    fields: list[FieldReference] = Field(min_length=1, max_length=MAX_FIELDS)

    @model_validator(mode="after")
    def _one_dataset_holder(self) -> DecisionRequest:
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("fields: each field may be asked for once")
        return self


class ReasonView(BaseModel):
    code: str
    message: str


class SubjectDecision(BaseModel):
    """The decision about one subject: only released fields ever carry values."""

    position: int = Field(description="Index of the subject in the request.")
    outcome: str
    released: dict[str, Any] = Field(description="Released fields and their values; no other.")
    refused: list[str]
    reasons: list[ReasonView]
    explanation: str
    ledger_index: int = Field(description="This decision's entry in the transparency log.")


class DecisionSummary(BaseModel):
    request_id: str
    agreement: str | None
    purpose: str
    decisions: list[SubjectDecision]
    replayed: bool = Field(
        default=False,
        description="True when an earlier request with this idempotency key "
        "was answered again, adding nothing to the log.",
    )
