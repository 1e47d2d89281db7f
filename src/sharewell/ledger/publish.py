"""The log as C2SP tlog-tiles: read from storage for /log/…, or exported to a directory.

Tiles are built from the stored perfect-subtree hashes of the latest integrated tree, so any
object store or CDN can serve an export, and any tiles client can audit it without sharewell.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from sharewell.errors import NotFound
from sharewell.ledger import services as ledger
from sharewell.ledger import tiles
from sharewell.ledger.errors import LedgerError, TileMalformed


class TileNotAvailable(LedgerError, NotFound):
    """The tile asked for is beyond the latest checkpoint (or not a tile at all)."""


def read_tile(session: Session, path: str) -> bytes:
    """The bytes of a hash tile or an entry bundle, if the integrated tree has them."""
    try:
        tile = tiles.parse_tile_path(path)
    except TileMalformed as error:
        raise TileNotAvailable(error.message) from None
    size = ledger.integrated_size(session)
    if isinstance(tile, tiles.EntryBundle):
        end = tile.first_entry + tile.width
        if end > size:
            raise TileNotAvailable(f"{path} is beyond the latest checkpoint ({size} entries).")
        return tiles.encode_entry_bundle(
            [data for _, data in ledger.iter_entries(session, tile.first_entry, end)]
        )
    level = tiles.TILE_HEIGHT * tile.level
    available = size >> level  # perfect subtrees of 2^level leaves in the tree
    if tile.index * tiles.TILE_WIDTH + tile.width > available:
        raise TileNotAvailable(f"{path} is beyond the latest checkpoint ({size} entries).")
    return tiles.encode_tile(
        ledger.node_range(session, level, tile.index * tiles.TILE_WIDTH, tile.width)
    )


def latest_checkpoint_text(session: Session) -> str:
    checkpoint = ledger.latest_checkpoint(session)
    if checkpoint is None:
        raise TileNotAvailable(
            "The log has no checkpoint yet.", hint="The sequencer signs one within a second."
        )
    return ledger.checkpoint_with_cosignatures(session, checkpoint)


def export_log(
    session: Session, target: Path, *, progress: Callable[[int], None] | None = None
) -> int:
    """Write the checkpoint and every tile of the latest tree under ``target``; its size.

    Written to a temporary directory beside the target and renamed into place, so an
    interrupted export never leaves a half-written log where a verifier might read it.
    """
    checkpoint = ledger.latest_checkpoint(session)
    if checkpoint is None:
        raise TileNotAvailable("The log has no checkpoint yet; run `sharewell ledger integrate`.")
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for path in tiles.tile_paths(checkpoint.size):
            destination = staging / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(read_tile(session, path))
            if progress is not None:
                progress(1)
        (staging / tiles.CHECKPOINT_PATH).write_text(
            ledger.checkpoint_with_cosignatures(session, checkpoint), encoding="utf-8"
        )
        staging.chmod(0o755)  # a published log is meant to be world-readable
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return checkpoint.size
