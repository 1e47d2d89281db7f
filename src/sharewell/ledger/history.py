"""The log's signed checkpoints over time, and checking that any two are consistent.

For the auditor's pages: the server proves consistency from its stored tree and then checks
its own proof against the two signed notes, as an outside verifier would, so a damaged node
or a bad signature shows up as a failed check rather than as a page that looks fine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.errors import LedgerError
from sharewell.ledger.models import LedgerCheckpoint, LedgerCosignature
from sharewell.ledger.note import Verifier
from sharewell.paging import Paged

PER_PAGE = 25


@dataclass(frozen=True)
class CheckpointRow:
    checkpoint: LedgerCheckpoint
    witnesses: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CheckpointPage(Paged):
    """One page of signed checkpoints, newest (largest) first."""

    rows: tuple[CheckpointRow, ...]


def witnesses_of(session: Session, sizes: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The witnesses that cosigned each of these checkpoints, by name."""
    found: dict[int, list[str]] = {size: [] for size in sizes}
    if sizes:
        rows = session.execute(
            select(LedgerCosignature.checkpoint_size, LedgerCosignature.witness)
            .where(LedgerCosignature.checkpoint_size.in_(sizes))
            .order_by(LedgerCosignature.witness)
        )
        for size, witness in rows:
            found[size].append(witness)
    return {size: tuple(names) for size, names in found.items()}


def checkpoint_page(session: Session, page: int, per_page: int | None = None) -> CheckpointPage:
    per_page = per_page or PER_PAGE
    total = session.scalar(select(func.count()).select_from(LedgerCheckpoint)) or 0
    checkpoints = session.scalars(
        select(LedgerCheckpoint)
        .order_by(LedgerCheckpoint.size.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    witnesses = witnesses_of(session, [c.size for c in checkpoints])
    return CheckpointPage(
        rows=tuple(CheckpointRow(c, witnesses[c.size]) for c in checkpoints),
        page=page,
        per_page=per_page,
        total=total,
    )


def recent_sizes(session: Session, count: int = 2) -> list[int]:
    """The sizes of the latest signed checkpoints, largest first."""
    return list(
        session.scalars(
            select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size.desc()).limit(count)
        )
    )


@dataclass(frozen=True)
class ConsistencyCheck:
    """What the server found when it proved and checked ``older`` → ``newer``."""

    older: LedgerCheckpoint
    newer: LedgerCheckpoint
    proof: tuple[bytes, ...]
    failure: str | None

    @property
    def consistent(self) -> bool:
        return self.failure is None


def check_consistency(
    session: Session,
    older: LedgerCheckpoint,
    newer: LedgerCheckpoint,
    verifiers: Sequence[Verifier],
) -> ConsistencyCheck:
    """Prove that ``newer``'s log extends ``older``'s, and verify the proof against both
    signed notes (RFC 9162 §2.1.4.2). The failure says which step did not hold."""
    proof: list[bytes] = []
    try:
        first = _signed(older, verifiers)
        second = _signed(newer, verifiers)
        proof = ledger.consistency_proof(session, older.size, newer.size)
        if first.size == 0:
            if first.root_hash != merkle.EMPTY_ROOT:
                raise LedgerError("the checkpoint of the empty log has a non-empty root")
        else:
            merkle.verify_consistency(
                first.size, second.size, proof, first.root_hash, second.root_hash
            )
    except LedgerError as error:
        return ConsistencyCheck(older, newer, tuple(proof), _sentence(error.message))
    return ConsistencyCheck(older, newer, tuple(proof), None)


def _signed(stored: LedgerCheckpoint, verifiers: Sequence[Verifier]) -> SignedCheckpoint:
    try:
        signed = SignedCheckpoint.from_text(stored.note, verifiers)
    except LedgerError as error:
        raise LedgerError(f"the checkpoint at size {stored.size}: {error.message}") from error
    if (signed.size, signed.root_hash) != (stored.size, stored.root_hash):
        raise LedgerError(
            f"the checkpoint at size {stored.size}: its signed note does not match its record"
        )
    return signed


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]
