"""The transparency log over HTTP: C2SP tiles at /log/…, proofs and checkpoints as JSON.

Everything here is public: entries carry no personal data in the clear, and a cosignature is
authenticated by its own signature, not by who sends it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from sharewell.ledger import publish
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import decode_entry
from sharewell.ledger.keys import load_witnesses
from sharewell.ledger.merkle import leaf_hash
from sharewell.ledger.note import b64encode as b64
from sharewell.web.access import public
from sharewell.web.deps import BIGINT_MAX, LogIndex, SessionDep

router = APIRouter(dependencies=[Depends(public)])
IMMUTABLE = "public, max-age=31536000, immutable"


@router.get("/log/checkpoint", response_class=PlainTextResponse)
def checkpoint_note(session: SessionDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint), with witness cosignatures."""
    return PlainTextResponse(
        publish.latest_checkpoint_text(session), headers={"Cache-Control": "no-cache"}
    )


@router.get("/log/tile/{path:path}")
def tile(path: str, session: SessionDep) -> Response:
    """A hash tile or an entry bundle (C2SP tlog-tiles). Once served, it never changes."""
    return Response(
        publish.read_tile(session, f"tile/{path}"),
        media_type="application/octet-stream",
        headers={"Cache-Control": IMMUTABLE},
    )


class CheckpointView(BaseModel):
    size: int
    root_hash: str
    note: str


class InclusionProofView(BaseModel):
    index: int
    size: int
    entry: str
    leaf_hash: str
    proof: list[str]
    root_hash: str
    checkpoint: str


class ConsistencyProofView(BaseModel):
    size1: int
    size2: int
    root1: str
    root2: str
    proof: list[str]


class EntryView(BaseModel):
    index: int
    entry: str
    body: dict[str, Any]


class CosignatureReceipt(BaseModel):
    accepted: list[str]


def _checkpoint_for(session: Session, size: int | None) -> tuple[int, bytes, str]:
    if size is None:
        latest = ledger.latest_checkpoint(session)
        if latest is None:
            raise ledger.SizeNotCheckpointed("The log has no checkpoint yet.")
        return latest.size, latest.root_hash, ledger.checkpoint_with_cosignatures(session, latest)
    stored = ledger.checkpoint_at(session, size)
    if stored is not None:
        return size, stored.root_hash, ledger.checkpoint_with_cosignatures(session, stored)
    return size, ledger.tree_root(session, size), ""


@router.get("/api/v1/ledger/checkpoint", response_model=CheckpointView)
def latest(session: SessionDep) -> CheckpointView:
    size, root, note = _checkpoint_for(session, None)
    return CheckpointView(size=size, root_hash=b64(root), note=note)


@router.get("/api/v1/ledger/checkpoints", response_model=list[CheckpointView])
def checkpoints(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[CheckpointView]:
    return [
        CheckpointView(size=c.size, root_hash=b64(c.root_hash), note=c.note)
        for c in ledger.list_checkpoints(session, limit=limit)
    ]


@router.get("/api/v1/ledger/entries/{index}", response_model=EntryView)
def entry(index: LogIndex, session: SessionDep) -> EntryView:
    data = ledger.get_entry(session, index)
    return EntryView(index=index, entry=b64(data), body=decode_entry(data))


@router.get("/api/v1/ledger/proofs/inclusion", response_model=InclusionProofView)
def inclusion(
    session: SessionDep,
    index: Annotated[int, Query(ge=0, le=BIGINT_MAX)],
    size: Annotated[int | None, Query(ge=1, le=BIGINT_MAX)] = None,
) -> InclusionProofView:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default: latest)."""
    tree_size, root, note = _checkpoint_for(session, size)
    data = ledger.get_entry(session, index)
    return InclusionProofView(
        index=index,
        size=tree_size,
        entry=b64(data),
        leaf_hash=b64(leaf_hash(data)),
        proof=[b64(h) for h in ledger.inclusion_proof(session, index, tree_size)],
        root_hash=b64(root),
        checkpoint=note,
    )


@router.get("/api/v1/ledger/proofs/consistency", response_model=ConsistencyProofView)
def consistency(
    session: SessionDep,
    first: Annotated[int, Query(ge=0, le=BIGINT_MAX, alias="from")],
    second: Annotated[int, Query(ge=0, le=BIGINT_MAX, alias="to")],
) -> ConsistencyProofView:
    """RFC 9162 consistency proof between two tree sizes."""
    return ConsistencyProofView(
        size1=first,
        size2=second,
        root1=b64(ledger.tree_root(session, first)),
        root2=b64(ledger.tree_root(session, second)),
        proof=[b64(h) for h in ledger.consistency_proof(session, first, second)],
    )


@router.post("/api/v1/ledger/cosignatures", response_model=CosignatureReceipt)
def cosign(
    request: Request,
    session: SessionDep,
    note: Annotated[str, Body(media_type="text/plain", max_length=16_384)],
) -> CosignatureReceipt:
    """Accept a witness's cosigned checkpoint (C2SP tlog-cosignature lines on our note)."""
    witnesses = load_witnesses(request.app.state.settings)
    return CosignatureReceipt(accepted=ledger.add_cosignatures(session, note, witnesses))
