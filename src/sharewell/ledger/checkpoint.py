"""Checkpoints (C2SP tlog-checkpoint): a log's signed tree head, as a signed note.

The note text is at least three non-empty lines, each ending in a newline::

    <origin>
    <tree size: ASCII decimal, no leading zeroes, "0" for the empty tree>
    <root hash: base64 of the RFC 6962 Merkle Tree Hash>
    [<extension line>…]
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sharewell.ledger.errors import CheckpointMalformed, NoteMalformed
from sharewell.ledger.merkle import HASH_SIZE
from sharewell.ledger.note import Note, NoteSigner, NoteVerifier, b64decode

_SIZE = re.compile(r"0|[1-9][0-9]*")
MAX_SIZE = 2**64 - 1


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many entries (size), and their root hash."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointMalformed(
                f"checkpoint origin {self.origin!r} must be one non-empty line"
            )
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointMalformed(f"checkpoint size {self.size} is not a uint64")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointMalformed(
                f"checkpoint root hash is {len(self.root_hash)} bytes, not {HASH_SIZE}"
            )
        for extension in self.extensions:
            if not extension or "\n" in extension:
                raise CheckpointMalformed(
                    f"checkpoint extension {extension!r} must be one non-empty line"
                )

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body (a signed note's text, with its final newline)."""
        if not text.endswith("\n"):
            raise CheckpointMalformed("a checkpoint body must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointMalformed(
                f"a checkpoint has at least 3 lines (origin, size, root hash), not {len(lines)}"
            )
        origin, size_line, root_line, *extensions = lines
        if not origin:
            raise CheckpointMalformed("the checkpoint's origin line is empty")
        if not _SIZE.fullmatch(size_line):
            raise CheckpointMalformed(
                f"checkpoint size {size_line[:24]!r} is not a decimal with no leading zeroes"
            )
        size = int(size_line)
        if size > MAX_SIZE:
            raise CheckpointMalformed(f"checkpoint size {size_line[:24]} does not fit in 64 bits")
        try:
            root_hash = b64decode(root_line, "the checkpoint's root hash")
        except NoteMalformed as error:
            raise CheckpointMalformed(error.message) from None
        if len(root_hash) != HASH_SIZE:
            raise CheckpointMalformed(
                f"the checkpoint's root hash is {len(root_hash)} bytes, not {HASH_SIZE}"
            )
        for number, extension in enumerate(extensions, start=4):
            if not extension:
                raise CheckpointMalformed(f"checkpoint line {number} is empty")
        return cls(origin, size, root_hash, tuple(extensions))

    def to_text(self) -> str:
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    def sign(self, signer: NoteSigner) -> str:
        """The signed note text of this checkpoint, signed by the log's key."""
        return Note.sign(self.to_text(), [signer]).to_text()


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose note verified under at least one trusted key."""

    checkpoint: Checkpoint
    note: Note
    verified_by: tuple[str, ...]

    @classmethod
    def from_text(
        cls, note_text: str | bytes, verifiers: Sequence[NoteVerifier]
    ) -> SignedCheckpoint:
        """Parse and verify a signed checkpoint note.

        The signature is checked before the body is parsed, as the signed-note spec asks
        (unverified text is not to be interpreted). Raises ``NoteMalformed``, ``UnknownKey``,
        ``CheckpointSignatureInvalid`` or ``CheckpointMalformed``.
        """
        note = Note.from_text(note_text)
        verified_by = note.verify(verifiers)
        return cls(Checkpoint.from_text(note.text), note, tuple(verified_by))

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root_hash(self) -> bytes:
        return self.checkpoint.root_hash

    def to_text(self) -> str:
        return self.note.to_text()
