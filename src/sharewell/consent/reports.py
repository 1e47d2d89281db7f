"""What a data protection officer sees of consent: how many people stand where, per
agreement – counts only, never who."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharewell.consent.models import ConsentRecord


def standing_by_agreement(
    session: Session, agreement_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """For each agreement, how many people's latest choice about it is each state."""
    if not agreement_ids:
        return {}
    order = func.row_number().over(
        partition_by=(ConsentRecord.subject_id, ConsentRecord.agreement_id),
        order_by=(ConsentRecord.recorded_at.desc(), ConsentRecord.ledger_index.desc()),
    )
    latest = (
        select(ConsentRecord.agreement_id, ConsentRecord.state, order.label("rank"))
        .where(ConsentRecord.agreement_id.in_(agreement_ids))
        .subquery()
    )
    rows = session.execute(
        select(latest.c.agreement_id, latest.c.state, func.count())
        .where(latest.c.rank == 1)
        .group_by(latest.c.agreement_id, latest.c.state)
    )
    counts: dict[str, dict[str, int]] = {a: {} for a in agreement_ids}
    for agreement_id, state, count in rows:
        counts[agreement_id][state] = count
    return counts
