"""`sharewell ledger fsck`: re-derive the whole tree from the stored entries and check it.

Streams the entries once (memory stays flat), recomputing each leaf hash, every perfect
subtree hash and the root at every stored checkpoint, and checks the latest checkpoint's
signature (or, with ``every_signature``, every stored checkpoint's). It reports every problem
it finds rather than stopping at the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.errors import LedgerError
from sharewell.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode
from sharewell.ledger.note import Verifier

BATCH = 5_000


@dataclass
class FsckReport:
    entries: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    signatures_checked: int = 0
    root_hash: bytes = merkle.EMPTY_ROOT
    """The root of the tree the stored entries make."""
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def fsck(
    session: Session,
    verifier: Verifier,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = BATCH,
    every_signature: bool = False,
    also_trusted: Sequence[Verifier] = (),
) -> FsckReport:
    """Check the stored log; ``progress(n)`` hears of each ``progress_every`` entries checked
    (and of the rest at the end). ``also_trusted``: retired keys that signed older checkpoints."""
    report = FsckReport()
    sequenced = ledger.sequenced_size(session)
    integrated = ledger.integrated_size(session)
    stored_entries = session.scalar(select(func.count()).select_from(LedgerEntry)) or 0
    if stored_entries != sequenced:
        report.problems.append(
            f"{sequenced} entries were sequenced but {stored_entries} are stored"
        )
    checkpoints = {
        c.size: c.root_hash
        for c in session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size))
    }
    if 0 in checkpoints and checkpoints[0] != merkle.EMPTY_ROOT:
        report.problems.append("the checkpoint of the empty log has the wrong root")
    report.checkpoints_checked += 0 in checkpoints

    frontier = ledger._Frontier([])
    expected = 0
    pending: list[dict[str, object]] = []
    for index, data, stored_leaf in _stored_entries(session, sequenced):
        if index != expected:
            report.problems.append(f"entries {expected} to {index - 1} are missing")
            break
        leaf = merkle.leaf_hash(data)
        if stored_leaf != leaf:
            report.problems.append(f"entry {index} does not hash to its stored leaf hash")
        frontier.push_leaf(index, leaf, pending)
        expected += 1
        size = index + 1
        if size in checkpoints:
            report.checkpoints_checked += 1
            if frontier.root() != checkpoints[size]:
                report.problems.append(
                    f"the checkpoint at size {size} does not match the entries' tree root"
                )
        if len(pending) >= BATCH:
            _check_nodes(session, pending, report, integrated)
        if progress is not None and size % progress_every == 0:
            progress(progress_every)
    _check_nodes(session, pending, report, integrated)
    if progress is not None and expected % progress_every:
        progress(expected % progress_every)
    report.root_hash = frontier.root() if expected else merkle.EMPTY_ROOT
    if every_signature:
        _check_every_signature(session, [verifier, *also_trusted], report)

    latest = ledger.latest_checkpoint(session)
    if latest is None:
        report.problems.append("the log has no signed checkpoint yet")
    elif not every_signature:
        try:
            signed = SignedCheckpoint.from_text(latest.note, [verifier])
        except LedgerError as error:
            report.problems.append(f"the latest checkpoint: {error.message}")
        else:
            if (signed.checkpoint.size, signed.checkpoint.root_hash) != (
                latest.size,
                latest.root_hash,
            ):
                report.problems.append("the latest checkpoint's note does not match its record")
    report.entries = expected
    return report


def _check_every_signature(
    session: Session, verifiers: Sequence[Verifier], report: FsckReport
) -> None:
    """Every stored checkpoint's note must verify and say what its record says."""
    position = -1
    while True:
        rows = session.execute(
            select(LedgerCheckpoint.size, LedgerCheckpoint.root_hash, LedgerCheckpoint.note)
            .where(LedgerCheckpoint.size > position)
            .order_by(LedgerCheckpoint.size)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for size, root_hash, note in rows:
            try:
                signed = SignedCheckpoint.from_text(note, verifiers)
            except LedgerError as error:
                report.problems.append(f"the checkpoint at size {size}: {error.message}")
            else:
                if (signed.checkpoint.size, signed.checkpoint.root_hash) != (size, root_hash):
                    report.problems.append(
                        f"the checkpoint at size {size}: its note does not match its record"
                    )
            report.signatures_checked += 1
        position = rows[-1][0]


def _stored_entries(session: Session, end: int) -> Iterator[tuple[int, bytes, bytes]]:
    position = 0
    while position < end:
        rows = session.execute(
            select(LedgerEntry.index, LedgerEntry.data, LedgerEntry.leaf_hash)
            .where(LedgerEntry.index >= position)
            .order_by(LedgerEntry.index)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        position = rows[-1][0] + 1


def _check_nodes(
    session: Session, computed: list[dict[str, object]], report: FsckReport, integrated: int
) -> None:
    """Compare recomputed perfect-subtree hashes with the stored ones, a batch at a time."""
    if not computed:
        return
    wanted = [(int(str(n["level"])), int(str(n["k"]))) for n in computed]
    stored = {
        (level, k): digest
        for level, k, digest in session.execute(
            select(LedgerNode.level, LedgerNode.k, LedgerNode.hash).where(
                LedgerNode.level.in_({level for level, _ in wanted}),
                LedgerNode.k.between(min(k for _, k in wanted), max(k for _, k in wanted)),
            )
        )
    }
    for node in computed:
        key = (int(str(node["level"])), int(str(node["k"])))
        covered = (key[1] + 1) << key[0] <= integrated
        if key not in stored:
            if covered:
                report.problems.append(f"tree node {key} is missing")
        elif stored[key] != node["hash"]:
            report.problems.append(f"tree node {key} does not match the entries below it")
        report.nodes_checked += 1
    computed.clear()
