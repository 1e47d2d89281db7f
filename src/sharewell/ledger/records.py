"""What each kind of public log entry may hold: one typed, allow-listed record per kind.

A leaf has two parts. The **public** part says what anyone may know: that organisation O
asked under agreement A and gateways G for purpose P (a decision), or that an agreement
changed status. The **sealed** part says what happened to the person – the outcome, the
reasons, the fields, their choice and how they made it, the exact time – and is readable only
with their trail key (``entries``). Every value in either part is a code from a closed
vocabulary, an id from the register (organisations, agreements, gateways, field names) or a
time; the models refuse anything else, so no writer can put free text, a name, an email, a
NINO or an address in a leaf, however it is called.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sharewell.broker.policy import Outcome, ReasonCode
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus, ScopeKind
from sharewell.register.vocabulary import AgreementStatus, Purpose, Role


class EntryKind(StrEnum):
    DECISION = "decision"
    CONSENT = "consent"
    AGREEMENT = "agreement"


# Ids as the register writes them: lower-case letters, digits and hyphens.
_SLUG = r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?"
Slug = Annotated[str, StringConstraints(pattern=f"^{_SLUG}$")]
# "dataset.field", as the register names a field.
FieldName = Annotated[str, StringConstraints(pattern=rf"^{_SLUG}\.[a-z][a-z0-9_]{{0,99}}$")]
# A UTC instant to the millisecond, as ``exact_time`` writes it.
ExactTime = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
]
WordingVersion = Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}$")]


class RequesterKind(StrEnum):
    STAFF = "staff"
    CLIENT = "client"


class ChoiceRecorder(StrEnum):
    """Who took a choice down when no member of staff did."""

    SUBJECT = "subject"
    PARTNER_SYSTEM = "partner_system"


class SystemActor(StrEnum):
    """A change sharewell made itself (an agreement expiring on its end date)."""

    SYSTEM = "system"


def exact_time(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def public_hour(moment: dt.datetime) -> str:
    """The only time the public sees: the hour, so entries cannot be grouped by their time."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:00Z")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)


class DecisionPublic(_Record):
    """Accountability: who asked, under what, for what. The same for every person asked about
    in one request, so nothing here tells one of them from another."""

    organisation: Slug
    purpose: Purpose
    agreement: Slug | None
    gateways: tuple[Slug, ...]


class DecisionSealed(_Record):
    """What happened to the person, for them only."""

    time: ExactTime
    outcome: Outcome
    discloser: Slug | None
    released: tuple[FieldName, ...]
    refused: tuple[FieldName, ...]
    reasons: tuple[ReasonCode, ...]
    requested_by: RequesterKind


class ConsentPublic(_Record):
    """Nothing but that a choice was recorded: its scope, state and channel are the person's."""


class ConsentSealed(_Record):
    time: ExactTime
    organisation: Slug  # who recorded it (the operator, for the person's own choice)
    scope: ScopeKind
    agreement: Slug | None
    purpose: Purpose | None
    purposes: tuple[Purpose, ...]
    recipient: Slug | None
    state: ConsentStatus
    captured_via: CaptureMethod
    by_role: Role | ChoiceRecorder
    wording_version: WordingVersion | None
    expires: ExactTime | None


class AgreementPublic(_Record):
    """An agreement's change of status: about no person, so all of it is public. Why it
    changed is kept in the register's own history, never here (it is typed by a person)."""

    model_config = ConfigDict(populate_by_name=True)

    organisation: Slug
    agreement: Slug
    discloser: Slug
    recipients: tuple[Slug, ...]
    purposes: tuple[Purpose, ...]
    gateways: tuple[Slug, ...]
    fields: tuple[FieldName, ...]
    from_status: AgreementStatus = Field(alias="from")
    to_status: AgreementStatus = Field(alias="to")
    by_role: Role | SystemActor


PublicRecord = DecisionPublic | ConsentPublic | AgreementPublic
SealedRecord = DecisionSealed | ConsentSealed

# Each kind's public record and sealed record (None: the kind is about nobody).
RECORDS: dict[EntryKind, tuple[type[PublicRecord], type[SealedRecord] | None]] = {
    EntryKind.DECISION: (DecisionPublic, DecisionSealed),
    EntryKind.CONSENT: (ConsentPublic, ConsentSealed),
    EntryKind.AGREEMENT: (AgreementPublic, None),
}
KIND_OF: dict[type[PublicRecord], EntryKind] = {
    public: kind for kind, (public, _) in RECORDS.items()
}
