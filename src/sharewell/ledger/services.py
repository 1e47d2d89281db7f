"""The ledger's operations: durable append, integration into the tree, proofs, fsck.

``append`` runs in the caller's transaction, so a decision and its entry commit together or
not at all; the caller acknowledges only after its commit. ``integrate`` (the sequencer) then
hashes new entries into the tree and signs a checkpoint covering them.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, TextClause, bindparam, insert, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from sharewell.errors import Conflict, InvalidInput, NotFound
from sharewell.ledger import merkle
from sharewell.ledger.checkpoint import Checkpoint
from sharewell.ledger.entries import Leaf, encode_group
from sharewell.ledger.errors import LedgerBusy, LedgerError
from sharewell.ledger.models import (
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerEntry,
    LedgerIntegration,
    LedgerNode,
    LedgerSequence,
)
from sharewell.ledger.note import CosignatureVerifier, Note, Signer

Node = tuple[int, int]
_SEQUENCE = cast(Table, LedgerSequence.__table__)
_ENTRIES = cast(Table, LedgerEntry.__table__)
_NODES = cast(Table, LedgerNode.__table__)

# How long an append waits for the sequence lock before saying the ledger is busy.
APPEND_LOCK_TIMEOUT_MS = 2000
INTEGRATION_BATCH = 20_000
RETRY_AFTER_SECONDS = 1


class EntryNotFound(LedgerError, NotFound):
    def __init__(self, index: int, size: int) -> None:
        super().__init__(
            f"There is no entry {index} in the log (it has {size} entries).",
            hint="Indexes start at 0.",
        )


class SizeNotCheckpointed(LedgerError, Conflict):
    """A proof was asked for a tree size the log has not yet integrated."""


# --------------------------------------------------------------------------- appending


_SHORT_LOCK_TIMEOUT = text(f"SET LOCAL lock_timeout = {APPEND_LOCK_TIMEOUT_MS}")
_TAKE_INDEXES = (
    update(_SEQUENCE)
    .where(_SEQUENCE.c.id == 1)
    .values(next_index=_SEQUENCE.c.next_index + bindparam("count"))
    .returning(_SEQUENCE.c.next_index)
)
_INSERT_ENTRIES = insert(_ENTRIES)


def append(session: Session, entries: Sequence[bytes]) -> list[int]:
    """Sequence entries in the caller's transaction; returns their indexes.

    The indexes are durable once the caller commits; if the caller rolls back, they are
    released with everything else (the sequence counter is part of the same transaction).
    Raises ``LedgerBusy`` rather than waiting long for another writer.
    """
    if not entries:
        return []
    count = len(entries)
    try:
        connection = session.connection()  # Core: entries are rows; this may begin (and wait)
        if connection.dialect.name == "postgresql":
            connection.execute(_SHORT_LOCK_TIMEOUT)
        end = connection.execute(_TAKE_INDEXES, {"count": count}).scalar_one()
        first = end - count
        connection.execute(
            _INSERT_ENTRIES,
            [
                {"index": first + offset, "data": entry, "leaf_hash": merkle.leaf_hash(entry)}
                for offset, entry in enumerate(entries)
            ],
        )
    except OperationalError as error:
        if is_lock_timeout(error):
            raise LedgerBusy(retry_after=RETRY_AFTER_SECONDS) from None
        raise
    return list(range(first, end))


def append_leaves(session: Session, leaves: Sequence[Leaf]) -> list[int]:
    """Write one group of leaves (one request's decisions, one consent change…) in the caller's
    transaction, padded and shuffled as ``entries.encode_group`` says; returns each leaf's
    index, in the order given. Every writer of the log comes through here."""
    group = encode_group(leaves)
    indexes = append(session, group.entries)
    return [indexes[position] for position in group.positions]


def is_lock_timeout(error: OperationalError) -> bool:
    # Match the driver's error class or SQLite's code, never the message text.
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in ("55P03", "40P01"):  # lock_not_available, deadlock_detected
        return True
    return getattr(original, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED")


def sequenced_size(session: Session) -> int:
    return session.scalar(select(LedgerSequence.next_index).where(LedgerSequence.id == 1)) or 0


def integrated_size(session: Session) -> int:
    return (
        session.scalar(select(LedgerIntegration.integrated_size).where(LedgerIntegration.id == 1))
        or 0
    )


# --------------------------------------------------------------------------- reading


@cache
def _nodes_query(leaves: int, inner: int) -> TextClause:
    """Leaf and inner-node hashes in one round trip, each row found by its primary key.

    Only numbered placeholders are formatted into the text; every value is a bound parameter.
    """
    parts = []
    if leaves:
        marks = ", ".join(f":i{i}" for i in range(leaves))
        parts.append(
            'SELECT 0 AS level, "index" AS k, leaf_hash AS hash FROM ledger_entries '  # noqa: S608
            f'WHERE "index" IN ({marks})'
        )
    if inner:
        pairs = " OR ".join(f"(level = :l{i} AND k = :k{i})" for i in range(inner))
        parts.append(f"SELECT level, k, hash FROM ledger_nodes WHERE {pairs}")  # noqa: S608
    # And the integrated size, so a proof needs no second round trip to know it is covered.
    parts.append(
        "SELECT -1 AS level, integrated_size AS k, NULL AS hash "
        "FROM ledger_integration WHERE id = 1"
    )
    return text(" UNION ALL ".join(parts))


MAX_NODES_PER_QUERY = 200
_SIZE_ROW = -1  # the level marking the integrated-size row in a node query


def lookup_nodes(
    session: Session, nodes: Sequence[Node], *, covering: int | None = None
) -> dict[Node, bytes]:
    """Fetch perfect-subtree hashes, normally in one indexed round trip.

    With ``covering``, also check in the same query that the integrated tree covers that many
    entries (``SizeNotCheckpointed`` if not). This is the hot path of every proof, so it skips
    building SQL expressions: the statement is fixed text with placeholders, cached by shape.
    """
    wanted = sorted(set(nodes))
    connection = session.connection()  # Core, not the ORM: nothing here is an object
    found: dict[Node, bytes] = {}
    integrated = 0
    for start in range(0, len(wanted), MAX_NODES_PER_QUERY):
        chunk = wanted[start : start + MAX_NODES_PER_QUERY]
        leaves = [k for level, k in chunk if level == 0]
        inner = [(level, k) for level, k in chunk if level > 0]
        parameters: dict[str, int] = {f"i{i}": k for i, k in enumerate(leaves)}
        for i, (level, k) in enumerate(inner):
            parameters[f"l{i}"] = level
            parameters[f"k{i}"] = k
        query = _nodes_query(len(leaves), len(inner))
        for level, k, digest in connection.execute(query, parameters):
            if level == _SIZE_ROW:
                integrated = k
            else:
                found[(level, k)] = bytes(digest)
    if covering is not None:
        if not wanted:
            integrated = integrated_size(session)
        _check_covered(covering, integrated)
    return found  # merkle raises TreeNodeMissing for anything absent


def node_range(session: Session, level: int, first: int, count: int) -> list[bytes]:
    """Consecutive perfect-subtree hashes at one level (a tile's worth), by an index range."""
    if level == 0:
        query = (
            select(LedgerEntry.leaf_hash)
            .where(LedgerEntry.index >= first, LedgerEntry.index < first + count)
            .order_by(LedgerEntry.index)
        )
    else:
        query = (
            select(LedgerNode.hash)
            .where(LedgerNode.level == level, LedgerNode.k >= first, LedgerNode.k < first + count)
            .order_by(LedgerNode.k)
        )
    hashes = [bytes(h) for h in session.scalars(query)]
    if len(hashes) != count:
        raise LedgerError(
            f"The tree is missing hashes at level {level} from {first} (found {len(hashes)} "
            f"of {count}).",
            hint="Run `sharewell ledger fsck`.",
        )
    return hashes


def _lookup(session: Session, size: int) -> Callable[[Sequence[Node]], Mapping[Node, bytes]]:
    return lambda nodes: lookup_nodes(session, nodes, covering=size)


def get_entry(session: Session, index: int) -> bytes:
    entry = session.get(LedgerEntry, index)
    if entry is None:
        raise EntryNotFound(index, sequenced_size(session))
    return entry.data


def iter_entries(
    session: Session, start: int = 0, end: int | None = None, *, batch: int = 5_000
) -> Iterator[tuple[int, bytes]]:
    """Entries in index order, read in batches so memory stays flat."""
    end = sequenced_size(session) if end is None else end
    position = start
    while position < end:
        rows = session.execute(
            select(LedgerEntry.index, LedgerEntry.data)
            .where(LedgerEntry.index >= position, LedgerEntry.index < min(end, position + batch))
            .order_by(LedgerEntry.index)
        ).all()
        if not rows:
            return
        yield from rows
        position = rows[-1][0] + 1


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).first()


def checkpoint_at(session: Session, size: int) -> LedgerCheckpoint | None:
    return session.get(LedgerCheckpoint, size)


def list_checkpoints(session: Session, *, limit: int = 100) -> Sequence[LedgerCheckpoint]:
    return session.scalars(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(limit)
    ).all()


def checkpoint_with_cosignatures(session: Session, checkpoint: LedgerCheckpoint) -> str:
    """The signed note with every stored witness cosignature line added."""
    lines = session.scalars(
        select(LedgerCosignature.line)
        .where(LedgerCosignature.checkpoint_size == checkpoint.size)
        .order_by(LedgerCosignature.witness)
    ).all()
    return checkpoint.note + "".join(f"{line}\n" for line in lines)


def _check_covered(size: int, covered: int) -> None:
    if size > covered:
        raise SizeNotCheckpointed(
            f"The log's tree covers {covered} entries so far, not {size}.",
            hint="Ask again in a second: the sequencer signs a new checkpoint at least once "
            "a second while there are new entries.",
        )


def _require_integrated(session: Session, size: int) -> None:
    _check_covered(size, integrated_size(session))


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    if not 0 <= index < size:
        if size > 0:
            _require_integrated(session, size)
        raise EntryNotFound(index, size)
    return merkle.inclusion_proof(index, size, _lookup(session, size))


def consistency_proof(session: Session, size1: int, size2: int) -> list[bytes]:
    if not 0 <= size1 <= size2:
        raise SizeNotCheckpointed(
            f"A consistency proof needs 0 ≤ first size ≤ second size, not {size1} and {size2}."
        )
    if size1 in (0, size2):
        _require_integrated(session, size2)
        return []  # nothing to prove: every log extends the empty one, and itself
    return merkle.consistency_proof(size1, size2, _lookup(session, size2))


def tree_root(session: Session, size: int) -> bytes:
    if size == 0:
        return merkle.EMPTY_ROOT
    return merkle.tree_root(size, _lookup(session, size))


# --------------------------------------------------------------------------- integrating


@dataclass
class _Frontier:
    """The right edge of the tree: perfect subtrees, largest first (a compact range)."""

    nodes: list[tuple[int, int, bytes]]

    def push_leaf(self, index: int, leaf: bytes, completed: list[dict[str, object]]) -> None:
        level, k, digest = 0, index, leaf
        while self.nodes and self.nodes[-1][0] == level:
            _, left_k, left = self.nodes.pop()
            level, k, digest = level + 1, left_k // 2, merkle.node_hash(left, digest)
            completed.append({"level": level, "k": k, "hash": digest})
        self.nodes.append((level, k, digest))

    def root(self) -> bytes:
        return merkle.fold_subtree([digest for _, _, digest in self.nodes])


def _frontier(session: Session, size: int) -> _Frontier:
    plan = merkle.root_plan(size)
    found = lookup_nodes(session, plan) if plan else {}
    return _Frontier([(level, k, found[(level, k)]) for level, k in plan])


def integrate(
    session: Session, signer: Signer, *, now: Callable[[], dt.datetime] | None = None
) -> LedgerCheckpoint | None:
    """Hash every sequenced entry into the tree and sign a checkpoint covering them.

    Returns the new checkpoint, or None when there was nothing new. Only one integrator runs
    at a time (the integration row is locked); appends carry on meanwhile.
    """
    state = session.scalars(
        select(LedgerIntegration).where(LedgerIntegration.id == 1).with_for_update()
    ).one()
    start = state.integrated_size
    end = sequenced_size(session)
    if end == start and checkpoint_at(session, start) is not None:
        return None
    frontier = _frontier(session, start)
    completed: list[dict[str, object]] = []
    for index, leaf in _leaf_hashes(session, start, end):
        frontier.push_leaf(index, leaf, completed)
        if len(completed) >= INTEGRATION_BATCH:
            session.execute(insert(_NODES), completed)
            completed.clear()
    if completed:
        session.execute(insert(_NODES), completed)
    root = frontier.root() if end else merkle.EMPTY_ROOT
    note_text = Checkpoint(origin=signer.name, size=end, root_hash=root).sign(signer)
    checkpoint = LedgerCheckpoint(size=end, root_hash=root, note=note_text)
    session.add(checkpoint)
    state.integrated_size = end
    session.flush()
    return checkpoint


def _leaf_hashes(session: Session, start: int, end: int) -> Iterator[tuple[int, bytes]]:
    position = start
    while position < end:
        rows = session.execute(
            select(LedgerEntry.index, LedgerEntry.leaf_hash)
            .where(LedgerEntry.index >= position, LedgerEntry.index < end)
            .order_by(LedgerEntry.index)
            .limit(INTEGRATION_BATCH)
        ).all()
        if not rows:
            raise LedgerError(
                f"Entries {position} to {end - 1} are sequenced but missing.",
                hint="Run `sharewell ledger fsck`.",
            )
        for index, leaf in rows:
            if index != position:
                raise LedgerError(
                    f"Entry {position} is missing from the ledger.",
                    hint="Run `sharewell ledger fsck`.",
                )
            yield index, leaf
            position += 1


# --------------------------------------------------------------------------- witnesses


class CosignatureRejected(LedgerError, InvalidInput):
    """A cosignature was for no checkpoint of this log, or by no configured witness."""


def add_cosignatures(
    session: Session, note_text: str, witnesses: Sequence[CosignatureVerifier]
) -> list[str]:
    """Store the cosignature lines on a checkpoint note that verify under configured witnesses.

    Returns the names of the witnesses whose cosignatures were stored.
    """
    note = Note.from_text(note_text)
    checkpoint = Checkpoint.from_text(note.text)
    stored = checkpoint_at(session, checkpoint.size)
    if stored is None or stored.root_hash != checkpoint.root_hash:
        raise CosignatureRejected(
            f"This log never signed a checkpoint of size {checkpoint.size} with that root.",
            hint="Cosign a checkpoint fetched from /log/checkpoint.",
        )
    accepted: list[str] = []
    for witness in witnesses:
        line = note.signature_line_for(witness)
        if line is None:
            continue
        witness.verify_line(note.text, line)
        session.merge(
            LedgerCosignature(checkpoint_size=checkpoint.size, witness=witness.name, line=line)
        )
        accepted.append(witness.name)
    if not accepted:
        raise CosignatureRejected(
            "None of the signatures on that checkpoint is from a configured witness.",
            hint="Add the witness's verifier key to $SHAREWELL_HOME/keys/witnesses.",
        )
    session.flush()
    return accepted


def entries_at(session: Session, indices: Sequence[int]) -> dict[int, bytes]:
    """The stored bytes of these entries (those that exist), read in one query per chunk."""
    found: dict[int, bytes] = {}
    for start in range(0, len(indices), 1_000):
        chunk = indices[start : start + 1_000]
        rows = session.execute(
            select(LedgerEntry.index, LedgerEntry.data).where(LedgerEntry.index.in_(chunk))
        )
        found.update((index, data) for index, data in rows)
    return found


def inclusion_bundle(
    session: Session, index: int, checkpoint: LedgerCheckpoint, public_key: str
) -> dict[str, Any]:
    """The entry, its inclusion proof up to a signed checkpoint, that checkpoint and the log's
    key: what `sharewell verify inclusion` (or any RFC 9162 verifier) checks offline."""
    data = get_entry(session, index)
    return {
        "index": index,
        "size": checkpoint.size,
        "entry": base64.b64encode(data).decode(),
        "leaf_hash": base64.b64encode(merkle.leaf_hash(data)).decode(),
        "proof": [
            base64.b64encode(h).decode() for h in inclusion_proof(session, index, checkpoint.size)
        ],
        "checkpoint": checkpoint_with_cosignatures(session, checkpoint),
        "public_key": public_key,
    }
