"""What the broker has decided about one person, for their own trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharewell.broker.models import BrokerDecision


def ledger_indices_about(session: Session, subject_id: str) -> list[int]:
    """The ledger entries recording every decision about this subject."""
    return list(
        session.scalars(
            select(BrokerDecision.ledger_index).where(BrokerDecision.subject_id == subject_id)
        )
    )
