"""The broker: decide every request for data, release only what the decision allows, and put
each decision on the ledger before anyone sees it.

``decide`` runs in the caller's transaction: the decisions, their ledger entries and the
request (with its idempotency key) commit together, and the caller sends the answer only
after that commit. ``decide_in_batches`` does the same a chunk at a time for a campaign's
large batch, committing each chunk before yielding it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sharewell.broker.errors import IdempotencyConflict
from sharewell.broker.models import BrokerDecision, BrokerRequest
from sharewell.broker.policy import (
    AgreementFacts,
    ConsentStatus,
    PolicyDecision,
    RequestFacts,
)
from sharewell.broker.policy import (
    decide as apply_policy,
)
from sharewell.broker.schemas import (
    DecisionRequest,
    DecisionSummary,
    ReasonView,
    SubjectDecision,
    SubjectReference,
)
from sharewell.consent import services as consent
from sharewell.consent.services import SubjectKey
from sharewell.consent.vocabulary import IdentifierScheme
from sharewell.db import transaction
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import Leaf
from sharewell.ledger.records import DecisionPublic, DecisionSealed, RequesterKind, exact_time
from sharewell.notifications import services as notifications
from sharewell.notifications.services import DecisionMade
from sharewell.register import services as register
from sharewell.register.terms import AgreementTerms
from sharewell.register.vocabulary import AgreementStatus

BATCH_CHUNK = 1_000
_DECISIONS = cast(Table, BrokerDecision.__table__)
_REQUESTS = cast(Table, BrokerRequest.__table__)
_INSERT_REQUEST = insert(_REQUESTS)
_SET_AGREEMENT = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("request"))
    .values(agreement_id=bindparam("agreement"))
)


@dataclass(frozen=True)
class Requester:
    """Who is asking: an organisation, through a member of staff or a registered API client."""

    organisation: str
    actor: str  # "staff:<role>" or "client:<key id>" – never a person's name on the ledger


# --------------------------------------------------------------------------- facts


def _agreement_for(
    session: Session, requester: Requester, request: DecisionRequest, today: dt.date
) -> AgreementTerms | None:
    if request.agreement is not None:
        return register.agreement_terms(session, [request.agreement]).get(request.agreement)
    candidates = register.agreement_terms(
        session, register.active_agreement_ids_for_recipient(session, requester.organisation)
    )
    asked = set(request.fields)
    usable = [
        terms
        for _, terms in sorted(candidates.items())
        if terms.status_on(today) == AgreementStatus.ACTIVE
        and request.purpose.value in terms.purposes
    ]
    # The agreement that covers most of what was asked; ties go to the first by id.
    return max(usable, key=lambda terms: len(asked & terms.fields), default=None)


def agreement_facts(terms: AgreementTerms, today: dt.date) -> AgreementFacts:
    return AgreementFacts(
        id=terms.id,
        active=terms.status_on(today) == AgreementStatus.ACTIVE,
        discloser=terms.discloser,
        recipients=terms.recipients,
        purposes=terms.purposes,
        fields=terms.fields,
        consent_required=terms.consent_required,
        gateways=terms.gateways,
    )


@dataclass(frozen=True)
class _Found:
    subject: SubjectKey | None  # who the ledger entry is about (None: nobody we can name)
    records: dict[str, dict[str, Any]]  # dataset key -> the record the discloser holds


def _find_all(
    session: Session, references: Sequence[SubjectReference], agreement: AgreementTerms | None
) -> list[_Found]:
    """Who each reference names, and what the discloser holds about them, for a whole chunk
    in a handful of queries: subjects, then each dataset the agreement draws on."""
    keys = [consent.normalise_identifier(r.scheme, r.value) for r in references]
    subjects = consent.subjects_by_identifier(session, keys)
    records: list[dict[str, dict[str, Any]]] = [{} for _ in references]
    datasets = agreement.datasets if agreement is not None else ()
    ninos = [value for scheme, value in keys if scheme == IdentifierScheme.NINO]
    for dataset in datasets:
        prefix = f"{dataset.organisation_id}/{dataset.key}/"
        held = register.held_records(
            session,
            dataset,
            ninos=ninos,
            record_ids=[
                value.removeprefix(prefix)
                for scheme, value in keys
                if scheme == IdentifierScheme.DATASET_RECORD and value.startswith(prefix)
            ],
        )
        for found_records, (scheme, value) in zip(records, keys, strict=True):
            if scheme == IdentifierScheme.NINO:
                data = held.by_nino.get(value)
            elif value.startswith(prefix):
                data = held.by_record_id.get(value.removeprefix(prefix))
            else:
                data = None
            if data is not None:
                found_records[dataset.key] = data
    found: list[_Found] = []
    for reference, key, held_by_dataset in zip(references, keys, records, strict=True):
        subject = subjects.get(key)
        if held_by_dataset and subject is None:
            # The body holds data about this person: give them a subject (and a trail key)
            # so the decision is on their trail.
            made = consent.resolve_subject(session, reference.scheme, reference.value, create=True)
            subject = subjects[key] = SubjectKey(made.id, made.trail_key)
        found.append(_Found(subject, held_by_dataset))
    return found


# --------------------------------------------------------------------------- deciding


def _request_hash(requester: Requester, request: DecisionRequest) -> str:
    body = json.dumps(
        [requester.organisation, request.model_dump(mode="json")], sort_keys=True
    ).encode()
    return hashlib.sha256(body).hexdigest()


def _record_request(
    session: Session,
    requester: Requester,
    request: DecisionRequest,
    idempotency_key: str | None,
    agreement_id: str | None,
) -> str:
    """The request row every decision points at (it holds no identifier of the people);
    returns its id. Raises ``IntegrityError`` if the idempotency key is taken."""
    request_id = str(uuid.uuid4())
    session.connection().execute(
        _INSERT_REQUEST,
        {
            "id": request_id,
            "requester_id": requester.organisation,
            "actor": requester.actor,
            "idempotency_key": idempotency_key,
            "request_hash": _request_hash(requester, request),
            "purpose": request.purpose.value,
            "agreement_id": agreement_id,
            "fields": list(request.fields),
            "subject_count": len(request.subjects),
        },
    )
    return request_id


def decide(
    session: Session,
    requester: Requester,
    request: DecisionRequest,
    *,
    idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> DecisionSummary:
    """Decide about every subject in the request, in the caller's transaction.

    With an idempotency key already used by this organisation for the same request, the
    stored decisions are answered again and nothing new is written; for a different request,
    ``IdempotencyConflict``.
    """
    if idempotency_key is not None:
        replay = _replay(session, requester, request, idempotency_key)
        if replay is not None:
            return replay
    today = today or dt.date.today()
    agreement = _agreement_for(session, requester, request, today)
    agreement_id = agreement.id if agreement is not None else None
    if idempotency_key is None:
        request_id = _record_request(session, requester, request, None, agreement_id)
    else:
        try:
            with session.begin_nested():
                request_id = _record_request(
                    session, requester, request, idempotency_key, agreement_id
                )
        except IntegrityError:
            raise IdempotencyConflict(
                "Another request with this idempotency key is being decided.",
                hint="Retry in a moment to get its answer.",
            ) from None
    decisions = _decide_subjects(
        session, requester, request, request_id, agreement, 0, request.subjects, today
    )
    return DecisionSummary(
        request_id=request_id,
        agreement=agreement_id,
        purpose=request.purpose.value,
        decisions=decisions,
    )


def _decide_subjects(
    session: Session,
    requester: Requester,
    request: DecisionRequest,
    request_id: str,
    agreement: AgreementTerms | None,
    offset: int,
    subjects: Sequence[SubjectReference],
    today: dt.date,
) -> list[SubjectDecision]:
    facts = agreement_facts(agreement, today) if agreement is not None else None
    now = dt.datetime.now(dt.UTC)
    results: list[SubjectDecision] = []
    leaves: list[Leaf] = []
    public = _public_record(requester, request, facts)
    pending: list[tuple[int, SubjectKey | None, PolicyDecision, dict[str, Any]]] = []
    founds = _find_all(session, subjects, agreement)
    histories = consent.consent_histories(
        session, [f.subject.id for f in founds if f.subject is not None]
    )
    for position, found in enumerate(founds, start=offset):
        state = (
            consent.decide(
                histories[found.subject.id],
                agreement_id=agreement.id if agreement is not None else None,
                purpose=request.purpose.value,
                recipient=requester.organisation,
                at=None,
            )
            if found.subject is not None
            else None
        )
        policy = apply_policy(
            RequestFacts(
                requester=requester.organisation,
                purpose=request.purpose.value,
                fields=tuple(request.fields),
                agreement=facts,
                subject_known=bool(found.records),
                consent=ConsentStatus(state.status) if state and state.status else None,
                consent_explanation=state.explanation() if state and state.status else "",
            )
        )
        released = _released_values(policy, found)
        leaves.append(_leaf(public, requester, facts, policy, found.subject, now))
        pending.append((position, found.subject, policy, released))
    indexes = ledger.append_leaves(session, leaves)
    rows = []
    for (position, subject, policy, released), index in zip(pending, indexes, strict=True):
        rows.append(
            {
                "request_id": request_id,
                "position": position,
                "subject_id": subject.id if subject is not None else None,
                "outcome": policy.outcome.value,
                "released_fields": list(policy.released),
                "refused_fields": list(policy.refused),
                "reasons": [{"code": r.code.value, "message": r.message} for r in policy.reasons],
                "ledger_index": index,
            }
        )
        results.append(
            _view(
                position,
                policy.outcome.value,
                released,
                policy.refused,
                [(r.code.value, r.message) for r in policy.reasons],
                index,
            )
        )
    # Core, not the ORM: a campaign's chunk is a thousand rows, and nothing here is an object.
    session.connection().execute(insert(_DECISIONS), rows)
    # In this transaction, so a message is queued only for a decision that commits.
    notifications.notify_decisions(
        session,
        [
            DecisionMade(
                subject.id,
                index,
                requester.organisation,
                request.purpose.value,
                policy.outcome.value,
                now,
            )
            for (_, subject, policy, _), index in zip(pending, indexes, strict=True)
            if subject is not None
        ],
    )
    return results


def _released_values(policy: PolicyDecision, found: _Found) -> dict[str, Any]:
    """Minimisation: the values of the released fields, and of nothing else."""
    values: dict[str, Any] = {}
    for name in policy.released:
        dataset, field = name.split(".", 1)
        values[name] = found.records.get(dataset, {}).get(field)
    return values


def _public_record(
    requester: Requester, request: DecisionRequest, facts: AgreementFacts | None
) -> DecisionPublic:
    """What the public log says of every decision in the request: who asked, under what, for
    what. The same for each person asked about."""
    return DecisionPublic(
        organisation=requester.organisation,
        purpose=request.purpose,
        agreement=facts.id if facts is not None else None,
        gateways=tuple(g.id for g in facts.gateways) if facts is not None else (),
    )


def _leaf(
    public: DecisionPublic,
    requester: Requester,
    facts: AgreementFacts | None,
    policy: PolicyDecision,
    subject: SubjectKey | None,
    now: dt.datetime,
) -> Leaf:
    """The decision's leaf: what happened to the person is sealed for them. A person nobody
    holds gets no sealed part and a random commitment, like padding."""
    if subject is None:
        return Leaf(public=public, time=now)
    sealed = DecisionSealed(
        time=exact_time(now),
        outcome=policy.outcome,
        discloser=facts.discloser if facts is not None else None,
        released=tuple(policy.released),
        refused=tuple(policy.refused),
        reasons=tuple(policy.codes),
        requested_by=RequesterKind(requester.actor.split(":", 1)[0]),
    )
    return Leaf(public=public, time=now, sealed=sealed, subject_key=subject.trail_key)


def _view(
    position: int,
    outcome: str,
    released: dict[str, Any],
    refused: Sequence[str],
    reasons: Sequence[tuple[str, str]],
    index: int,
) -> SubjectDecision:
    return SubjectDecision(
        position=position,
        outcome=outcome,
        released=released,
        refused=list(refused),
        reasons=[ReasonView(code=code, message=message) for code, message in reasons],
        explanation=" ".join(message for _, message in reasons),
        ledger_index=index,
    )


def _stored_request(
    session: Session, requester: Requester, request: DecisionRequest, key: str
) -> BrokerRequest | None:
    """The request this organisation began with this idempotency key, if the same request."""
    stored = session.scalars(
        select(BrokerRequest).where(
            BrokerRequest.requester_id == requester.organisation,
            BrokerRequest.idempotency_key == key,
        )
    ).first()
    if stored is not None and stored.request_hash != _request_hash(requester, request):
        raise IdempotencyConflict(
            "This idempotency key was already used for a different request.",
            hint="Use a new key for a new request; reuse a key only to retry the same request.",
        )
    return stored


def _stored_decisions(
    session: Session, stored: BrokerRequest, request: DecisionRequest, start: int, stop: int
) -> list[SubjectDecision]:
    """The decisions already made at positions [start, stop), answered again from the store."""
    agreement = (
        register.agreement_terms(session, [stored.agreement_id]).get(stored.agreement_id)
        if stored.agreement_id
        else None
    )
    rows = session.scalars(
        select(BrokerDecision)
        .where(
            BrokerDecision.request_id == stored.id,
            BrokerDecision.position >= start,
            BrokerDecision.position < stop,
        )
        .order_by(BrokerDecision.position)
    ).all()
    founds = _find_all(session, [request.subjects[row.position] for row in rows], agreement)
    decisions = []
    for row, found in zip(rows, founds, strict=True):
        values = {
            name: found.records.get(name.split(".", 1)[0], {}).get(name.split(".", 1)[1])
            for name in row.released_fields
        }
        decisions.append(
            _view(
                row.position,
                row.outcome,
                values,
                row.refused_fields,
                [(r["code"], r["message"]) for r in row.reasons],
                row.ledger_index,
            )
        )
    return decisions


def _replay(
    session: Session, requester: Requester, request: DecisionRequest, key: str
) -> DecisionSummary | None:
    stored = _stored_request(session, requester, request, key)
    if stored is None:
        return None
    return DecisionSummary(
        request_id=stored.id,
        agreement=stored.agreement_id,
        purpose=stored.purpose,
        decisions=_stored_decisions(session, stored, request, 0, len(request.subjects)),
        replayed=True,
    )


@dataclass(frozen=True)
class BatchStart:
    """Where a streamed batch begins: its request, and how many of its people (a prefix of
    the list, since chunks commit in order) an earlier try with the same key already decided."""

    request_id: str
    decided: int


def start_batches(
    session: Session,
    requester: Requester,
    request: DecisionRequest,
    *,
    idempotency_key: str | None = None,
) -> BatchStart:
    """Record a streamed batch's request in the caller's transaction, or find the one an
    earlier try with this idempotency key began (``IdempotencyConflict`` for another body)."""
    if idempotency_key is not None:
        stored = _stored_request(session, requester, request, idempotency_key)
        if stored is not None:
            decided = session.scalar(
                select(func.count())
                .select_from(BrokerDecision)
                .where(BrokerDecision.request_id == stored.id)
            )
            return BatchStart(request_id=stored.id, decided=decided or 0)
    try:
        with session.begin_nested():
            request_id = _record_request(session, requester, request, idempotency_key, None)
    except IntegrityError:
        raise IdempotencyConflict(
            "Another request with this idempotency key is being decided.",
            hint="Retry in a moment to get its answer.",
        ) from None
    return BatchStart(request_id=request_id, decided=0)


def decide_in_batches(
    engine: Engine,
    requester: Requester,
    request: DecisionRequest,
    begun: BatchStart,
    *,
    today: dt.date | None = None,
) -> Iterator[list[SubjectDecision]]:
    """A large batch, a chunk at a time: each chunk's decisions and ledger entries commit
    before the chunk is yielded, so a streamed answer never runs ahead of the ledger. What an
    earlier try already decided is answered again from the store, not decided twice."""
    for start in range(0, len(request.subjects), BATCH_CHUNK):
        stop = min(start + BATCH_CHUNK, len(request.subjects))
        first_new = min(max(start, begun.decided), stop)
        with transaction(engine) as session:
            answered = (
                _stored_decisions(
                    session,
                    session.get_one(BrokerRequest, begun.request_id),
                    request,
                    start,
                    first_new,
                )
                if first_new > start
                else []
            )
            if first_new < stop:
                day = today or dt.date.today()
                # Each chunk reads the agreement afresh: a suspension stops the rest of the batch.
                agreement = _agreement_for(session, requester, request, day)
                session.connection().execute(
                    _SET_AGREEMENT,
                    {"request": begun.request_id, "agreement": agreement.id if agreement else None},
                )
                answered += _decide_subjects(
                    session,
                    requester,
                    request,
                    begun.request_id,
                    agreement,
                    first_new,
                    request.subjects[first_new:stop],
                    day,
                )
        yield answered
