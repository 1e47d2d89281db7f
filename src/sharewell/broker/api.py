"""The system-to-system API: a signed partner system asks for data; the broker decides.

Every route here is called by a registered API client whose request is signed (RFC 9421), so
the requester is the client's organisation, never something the body claims. The answer is
sent only after the decisions and their ledger entries have committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from sharewell.broker import services as broker
from sharewell.broker.client_auth import SignedClient
from sharewell.broker.errors import BatchTooLargeForOneAnswer
from sharewell.broker.schemas import DecisionRequest, DecisionSummary
from sharewell.web.deps import SessionDep

router = APIRouter()
IdempotencyKey = Annotated[str | None, Header(min_length=8, max_length=200)]


def _requester(client: SignedClient) -> broker.Requester:
    return broker.Requester(organisation=client.organisation_id, actor=f"client:{client.key_id}")


@router.post("/api/v1/decisions", response_model=DecisionSummary)
def decide(
    body: DecisionRequest,
    client: SignedClient,
    session: SessionDep,
    idempotency_key: IdempotencyKey = None,
) -> DecisionSummary:
    """Decide a request about up to 1,000 subjects; larger batches use /decisions/stream.

    Retrying with the same ``Idempotency-Key`` header returns the same decisions and adds
    nothing to the ledger.
    """
    if len(body.subjects) > broker.BATCH_CHUNK:
        raise BatchTooLargeForOneAnswer(len(body.subjects), broker.BATCH_CHUNK)
    # The unit of work commits the decisions and their ledger entries before the answer is sent.
    return broker.decide(session, _requester(client), body, idempotency_key=idempotency_key)


@router.post("/api/v1/decisions/stream")
def decide_stream(
    body: DecisionRequest,
    client: SignedClient,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> StreamingResponse:
    """A campaign's large batch: one JSON decision per line (NDJSON), streamed as each chunk
    of 1,000 commits to the ledger.

    The signature's nonce and the request are committed (by the unit of work, when this
    returns) before the first line. Retrying with the same ``Idempotency-Key`` answers what
    was already decided from the store, adds nothing to the ledger for it, and decides only
    the people an interrupted try did not reach.
    """
    requester = _requester(client)
    begun = broker.start_batches(session, requester, body, idempotency_key=idempotency_key)
    engine = request.app.state.engine

    def lines() -> Iterator[bytes]:
        for chunk in broker.decide_in_batches(engine, requester, body, begun):
            for decision in chunk:
                yield decision.model_dump_json().encode() + b"\n"
        yield json.dumps({"done": True, "subjects": len(body.subjects)}).encode() + b"\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
