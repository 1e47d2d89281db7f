"""What the broker reads of an agreement, as plain frozen values (no database objects).

``services.agreement_terms`` loads them; the broker's policy decides from them alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sharewell.register.vocabulary import AgreementStatus


def status_on(status: AgreementStatus, valid_until: dt.date, today: dt.date) -> AgreementStatus:
    """The status a reader should see on a day: an agreement past its end date is expired."""
    if status in (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED) and valid_until < today:
        return AgreementStatus.EXPIRED
    return status


@dataclass(frozen=True)
class GatewayTerms:
    id: str
    citation: str
    in_force: bool
    sharing_basis: bool  # not an offence or an eligibility rule
    consent_required: bool
    right_to_object: bool
    purpose_codes: frozenset[str]


@dataclass(frozen=True)
class DatasetRef:
    id: int
    organisation_id: str
    key: str


@dataclass(frozen=True)
class AgreementTerms:
    """What a decision reads of an agreement: parties, purposes, laws, fields and dates."""

    id: str
    title: str
    status: AgreementStatus  # as stored; ``effective_status`` applies the end date
    valid_until: dt.date
    discloser: str
    recipients: frozenset[str]
    purposes: frozenset[str]
    consent_required: bool
    gateways: tuple[GatewayTerms, ...]
    fields: frozenset[str]  # "dataset.field"
    datasets: tuple[DatasetRef, ...]

    def status_on(self, today: dt.date) -> AgreementStatus:
        return status_on(self.status, self.valid_until, today)
