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
from sharewell.broker.wording import EXPLAINS_A_RELEASE, Audience, meaning

REFUSING = ("deny", "partial")
# The reasons a refusal can give (what explains a release is no reason for a refusal).
REFUSAL_CODES = frozenset(c.value for c in ReasonCode) - {c.value for c in EXPLAINS_A_RELEASE}


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
        by_code.update(codes & REFUSAL_CODES)
    return RefusalReport(
        since=since,
        decisions=total,
        reasons=tuple(
            RefusalCount(code, meaning(code, Audience.STAFF), count)
            for code, count in by_code.most_common()
        ),
    )
