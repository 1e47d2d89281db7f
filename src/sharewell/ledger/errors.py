"""What can go wrong in the ledger, each with a message an operator or auditor can act on."""

from __future__ import annotations

from sharewell.errors import Busy, InvalidInput, SharewellError


class LedgerError(SharewellError):
    """Any failure of the ledger: a proof, a signature, a malformed file, a busy writer."""


class LedgerBusy(LedgerError, Busy):
    """Too many writers at once: the caller should retry after ``retry_after`` seconds."""

    def __init__(self, *, retry_after: int) -> None:
        Busy.__init__(
            self, "The ledger is busy and did not accept the entry.", retry_after=retry_after
        )


class ProofInvalid(LedgerError):
    """A Merkle proof does not prove what it claims (RFC 9162 §2.1.3.2 / §2.1.4.2)."""


class InclusionProofInvalid(ProofInvalid):
    """An inclusion proof does not lead from the leaf to the root."""


class ConsistencyProofInvalid(ProofInvalid):
    """A consistency proof does not show the larger tree extends the smaller one."""


class TreeNodeMissing(LedgerError):
    """Storage could not supply a perfect subtree hash that a proof or a root needs."""

    def __init__(self, level: int, k: int) -> None:
        super().__init__(
            f"The tree node at level {level}, index {k} is missing from storage.",
            hint="The tree is incomplete; run `sharewell ledger fsck`.",
        )
        self.level = level
        self.k = k


class NoteMalformed(LedgerError, InvalidInput):
    """Text is not a signed note (C2SP signed-note), or a key is not in note key format."""


class CheckpointMalformed(LedgerError, InvalidInput):
    """A note's text is not a checkpoint body (C2SP tlog-checkpoint)."""


class CheckpointSignatureInvalid(LedgerError):
    """A signature by a trusted key does not verify over the note's text."""


class UnknownKey(LedgerError):
    """No signature on the note is by a key the verifier trusts."""


class TileMalformed(LedgerError):
    """A hash tile, an entry bundle or a tile path is not as C2SP tlog-tiles defines it."""


class LogAuditFailed(LedgerError):
    """An audit of a whole tiled log found the log inconsistent with its checkpoint."""
