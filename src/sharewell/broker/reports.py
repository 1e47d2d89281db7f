"""Where sharing was refused, and why: counts of the reasons in decisions, for a data
protection officer's organisation (as the one asking, or as the discloser)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sharewell.broker.models import BrokerDecision, BrokerRequest
from sharewell.broker.policy import ReasonCode

REFUSING = ("deny", "partial")
# Said to staff: what each reason means and what usually fixes it.
REASONS_FOR_STAFF: dict[str, str] = {
    ReasonCode.NO_GATEWAY: "No law found that allows this organisation this purpose.",
    ReasonCode.PURPOSE_NOT_PERMITTED: "The purpose asked for is not one the agreement names.",
    ReasonCode.AGREEMENT_NOT_ACTIVE: "The agreement was not in force (draft, suspended or "
    "expired).",
    ReasonCode.RECIPIENT_NOT_PARTY: "The organisation that asked is not a recipient of the "
    "agreement.",
    ReasonCode.CONSENT_REQUIRED: "The agreement needs consent, and the person had not given it.",
    ReasonCode.CONSENT_WITHDRAWN: "The person had withdrawn their consent.",
    ReasonCode.OBJECTION: "The person had objected, and the law gives them that right.",
    ReasonCode.SUBJECT_UNKNOWN: "No record matched the person asked about.",
    ReasonCode.NO_FIELDS_RELEASED: "None of the fields asked for could be released.",
    ReasonCode.FIELD_NOT_IN_AGREEMENT: "Some fields asked for are not in the agreement.",
}


@dataclass(frozen=True)
class RefusalCount:
    code: str
    meaning: str
    decisions: int


@dataclass(frozen=True)
class RefusalReport:
    since: dt.datetime
    decisions: int  # refused or partly refused, in the period
    reasons: tuple[RefusalCount, ...]  # most common first


def refusals(
    session: Session,
    organisation_id: str,
    disclosed_agreements: Sequence[str],
    *,
    since: dt.datetime,
) -> RefusalReport:
    """Denied and partly denied decisions since ``since``, where the organisation asked or
    disclosed (``disclosed_agreements`` are its own), counted by reason."""
    rows = session.execute(
        select(BrokerDecision.reasons)
        .join(BrokerRequest, BrokerRequest.id == BrokerDecision.request_id)
        .where(
            BrokerDecision.outcome.in_(REFUSING),
            BrokerRequest.created_at >= since,
            or_(
                BrokerRequest.requester_id == organisation_id,
                BrokerRequest.agreement_id.in_(disclosed_agreements),
            ),
        )
        .execution_options(yield_per=5_000)
    )
    by_code: Counter[str] = Counter()
    total = 0
    for (reasons,) in rows:
        total += 1
        codes = {str(r.get("code")) for r in reasons if isinstance(r, dict)}
        by_code.update(codes & REASONS_FOR_STAFF.keys())
    return RefusalReport(
        since=since,
        decisions=total,
        reasons=tuple(
            RefusalCount(code, REASONS_FOR_STAFF[code], count)
            for code, count in by_code.most_common()
        ),
    )
