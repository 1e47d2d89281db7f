"""Consent fixtures: subjects, consent records with sensible defaults, and row counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.staff import StaffMember
from sharewell.consent import services
from sharewell.consent.models import ConsentRecord, Subject, SubjectIdentifier
from sharewell.consent.schemas import ConsentScope
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus, IdentifierScheme
from sharewell.ledger import services as ledger

NINO = "AB123456C"
OTHER_NINO = "CE654321A"
WORDING = (
    "I agree that Northbridge Borough Council may tell my child's school that we get "
    "Housing Benefit, so that free school meals can start without a separate claim."
)
WHEN = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)

# The demo register's consent-based agreement: Northbridge tells its schools about HB awards.
FSM_AGREEMENT = "northbridge-hb-fsm-consent"
FSM_SCOPE = ConsentScope.for_agreement(FSM_AGREEMENT)
FSM_PURPOSE = ConsentScope.for_purpose("free-school-meals")


def new_subject(session: Session, nino: str = NINO) -> Subject:
    return services.resolve_subject(session, IdentifierScheme.NINO, nino, create=True)


def officer(session: Session, organisation_id: str = "northbridge") -> StaffMember:
    staff = staff_accounts.staff_of(session, organisation_id)
    (found,) = [m for m in staff if m.role == "officer"]
    return found


def record(
    session: Session,
    subject: Subject,
    state: ConsentStatus = ConsentStatus.GRANTED,
    *,
    scope: ConsentScope = FSM_SCOPE,
    at: dt.datetime | None = WHEN,
    **overrides: Any,
) -> ConsentRecord:
    """A consent record taken in the portal (the citizen's own action) unless overridden."""
    arguments: dict[str, Any] = {
        "captured_via": CaptureMethod.PORTAL,
        "wording": WORDING if state == ConsentStatus.GRANTED else None,
    }
    arguments.update(overrides)
    return services.record_consent(
        session, subject_id=subject.id, scope=scope, state=state, now=at, **arguments
    )


def consent_counts(session: Session) -> dict[str, int]:
    """Rows in every consent table and the ledger's size: equal before and after = no write."""
    session.expire_all()
    counts = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Subject, SubjectIdentifier, ConsentRecord)
    }
    counts["ledger"] = ledger.sequenced_size(session)
    return counts
