"""What an organisation has asked the broker, and what it decided: read-only, for its officers.

Every query is filtered by the requesting organisation, so one organisation never reads
another's requests. The rows hold no identifier of the people asked about (see ``models``):
a decision says only which person of the request it was, by position.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from sharewell.broker.errors import BrokerRequestNotFound
from sharewell.broker.models import BrokerDecision, BrokerRequest
from sharewell.paging import Paged

DEFAULT_PER_PAGE = 25


@dataclass(frozen=True)
class RequestRecord:
    """One request as its organisation sees it: who asked, when, for what."""

    id: str
    requested_at: dt.datetime
    actor: str  # "staff:<role>" or "client:<key id>"
    purpose: str
    agreement: str | None
    fields_asked: tuple[str, ...]
    subject_count: int

    @property
    def by_api_client(self) -> bool:
        return self.actor.startswith("client:")

    @property
    def requester_label(self) -> str:
        kind, _, detail = self.actor.partition(":")
        if kind == "client":
            return f"API client {detail}"
        return f"A member of staff ({detail})" if detail else "A member of staff"


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


@dataclass(frozen=True)
class DecisionRecord:
    """The decision about one person of a request, and its entry in the transparency log."""

    request: RequestRecord
    position: int  # 0-based: the person's place in the request
    outcome: str
    released: tuple[str, ...]
    refused: tuple[str, ...]
    reasons: tuple[Reason, ...]
    ledger_index: int

    @property
    def person(self) -> str:
        return f"Person {self.position + 1} of {self.request.subject_count}"


@dataclass(frozen=True, kw_only=True)
class DecisionPage(Paged):
    """One page of decisions, newest first, and where it sits among them all."""

    decisions: tuple[DecisionRecord, ...]


@dataclass(frozen=True)
class RequestDecisions:
    request: RequestRecord
    decisions: DecisionPage


def _request_record(row: BrokerRequest) -> RequestRecord:
    return RequestRecord(
        id=row.id,
        requested_at=_aware(row.created_at),
        actor=row.actor,
        purpose=row.purpose,
        agreement=row.agreement_id,
        fields_asked=tuple(row.fields),
        subject_count=row.subject_count,
    )


def _decision_record(request: RequestRecord, row: BrokerDecision) -> DecisionRecord:
    return DecisionRecord(
        request=request,
        position=row.position,
        outcome=row.outcome,
        released=tuple(row.released_fields),
        refused=tuple(row.refused_fields),
        reasons=tuple(Reason(r["code"], r["message"]) for r in row.reasons),
        ledger_index=row.ledger_index,
    )


def _page_of(
    session: Session,
    query: Select[BrokerDecision, BrokerRequest],
    order: ColumnElement[Any],
    page: int,
    per_page: int,
) -> DecisionPage:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    requests: dict[str, RequestRecord] = {}
    decisions = []
    for decision, request in rows:
        if request.id not in requests:
            requests[request.id] = _request_record(request)
        decisions.append(_decision_record(requests[request.id], decision))
    return DecisionPage(decisions=tuple(decisions), page=page, per_page=per_page, total=total)


def _decisions_of(organisation_id: str) -> Select[BrokerDecision, BrokerRequest]:
    return (
        select(BrokerDecision, BrokerRequest)
        .join(BrokerRequest, BrokerRequest.id == BrokerDecision.request_id)
        .where(BrokerRequest.requester_id == organisation_id)
    )


def decisions_for_requester(
    session: Session, organisation_id: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> DecisionPage:
    """Every decision on the requests this organisation made, newest first, a page at a time."""
    # The ledger index is the order the decisions were made in.
    return _page_of(
        session, _decisions_of(organisation_id), BrokerDecision.ledger_index.desc(), page, per_page
    )


def request_decisions(
    session: Session,
    organisation_id: str,
    request_id: str,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> RequestDecisions:
    """One of this organisation's requests and its decisions, person by person; another
    organisation's request is not found."""
    request = session.scalar(
        select(BrokerRequest).where(
            BrokerRequest.id == request_id, BrokerRequest.requester_id == organisation_id
        )
    )
    if request is None:
        raise BrokerRequestNotFound(request_id)
    decisions = _page_of(
        session,
        _decisions_of(organisation_id).where(BrokerDecision.request_id == request_id),
        BrokerDecision.position.asc(),
        page,
        per_page,
    )
    return RequestDecisions(request=_request_record(request), decisions=decisions)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    # PostgreSQL's are in the server's zone: shown in UTC either way.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC)
