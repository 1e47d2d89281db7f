"""Tiled logs (C2SP tlog-tiles): the tree and its entries as static, cacheable files.

The n-th tile at level l holds, for i from 0 to its width - 1,

    MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])

which is the perfect subtree node (8·l, n·256 + i): tile level l is tree level 8·l. Full tiles
hold 256 hashes; the rightmost tile of a level may be partial, with ``floor(s / 256^l) mod 256``
hashes for a tree of size s, and is served at ``….p/<width>``. Entry bundles follow level 0:
bundle n holds entries [n·256, n·256 + width), each as a big-endian uint16 length then its bytes.

Paths are relative to the log's prefix::

    tile/<L>/<N>[.p/<W>]        hash tiles, L in 0..63
    tile/entries/<N>[.p/<W>]    entry bundles

where <N> is the index in zero-padded 3-digit groups, all but the last prefixed with ``x``
(1234067 → ``x001/x234/067``), and <W> is a partial tile's width, 1..255.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sharewell.ledger.errors import TileMalformed
from sharewell.ledger.merkle import HASH_SIZE, Node

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY_SIZE = 0xFFFF
CHECKPOINT_PATH = "checkpoint"


def _check_width(width: int) -> None:
    if not 1 <= width <= TILE_WIDTH:
        raise ValueError(f"a tile holds 1 to {TILE_WIDTH} hashes, not {width}")


def encode_index(index: int) -> str:
    """<N>: 3-digit groups, all but the last prefixed with 'x' (1234067 → x001/x234/067)."""
    if index < 0:
        raise ValueError(f"tile index {index} is negative")
    path = f"{index % 1000:03d}"
    while index >= 1000:
        index //= 1000
        path = f"x{index % 1000:03d}/{path}"
    return path


def _suffix(width: int) -> str:
    _check_width(width)
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` for the hash tile at this level and index."""
    if not 0 <= level <= MAX_LEVEL:
        raise ValueError(f"tile level {level} is not in 0..{MAX_LEVEL}")
    return f"tile/{level}/{encode_index(index)}{_suffix(width)}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]`` for the entry bundle with this index."""
    return f"tile/entries/{encode_index(index)}{_suffix(width)}"


def hash_tile_nodes(level: int, index: int, width: int = TILE_WIDTH) -> list[Node]:
    """The perfect subtree nodes a hash tile holds, in order: (8·level, index·256 + i)."""
    _check_width(width)
    return [(TILE_HEIGHT * level, index * TILE_WIDTH + i) for i in range(width)]


@dataclass(frozen=True)
class Tile:
    """A hash tile: ``width`` consecutive perfect subtree hashes at tree level 8·``level``."""

    level: int
    index: int
    width: int = TILE_WIDTH

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    def nodes(self) -> list[Node]:
        return hash_tile_nodes(self.level, self.index, self.width)


@dataclass(frozen=True)
class EntryBundle:
    """An entry bundle: entries [index·256, index·256 + width)."""

    index: int
    width: int = TILE_WIDTH

    @property
    def path(self) -> str:
        return entries_path(self.index, self.width)

    @property
    def first_entry(self) -> int:
        return self.index * TILE_WIDTH

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile, full and partial, of the tree of this size, level by level."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    tiles: list[Tile] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)  # perfect subtrees of 256^level leaves
        full, partial = divmod(hashes, TILE_WIDTH)
        tiles.extend(Tile(level, index) for index in range(full))
        if partial:
            tiles.append(Tile(level, full, partial))
        level += 1
    return tiles


def bundles_for_size(size: int) -> list[EntryBundle]:
    """Every entry bundle, full and partial, of the tree of this size."""
    return [EntryBundle(t.index, t.width) for t in tiles_for_size(size) if t.level == 0]


def tile_paths(size: int) -> list[str]:
    """The paths of every hash tile and then every entry bundle that a log of this size serves."""
    return [t.path for t in tiles_for_size(size)] + [b.path for b in bundles_for_size(size)]


_INDEX = r"((?:x\d{3}/)*\d{3})"
_WIDTH = r"(?:\.p/([1-9]\d{0,2}))?"
_TILE_PATH = re.compile(rf"tile/(0|[1-9]\d?)/{_INDEX}{_WIDTH}", re.ASCII)
_BUNDLE_PATH = re.compile(rf"tile/entries/{_INDEX}{_WIDTH}", re.ASCII)


def _decode_index(text: str, path: str) -> int:
    index = int(text.replace("x", "").replace("/", ""))
    if encode_index(index) != text:  # e.g. a leading x000/ group
        raise TileMalformed(f"{path!r} does not spell its tile index canonically")
    return index


def parse_tile_path(path: str) -> Tile | EntryBundle:
    """The hash tile or entry bundle a (prefix-relative) path names; ``TileMalformed`` if none."""
    for pattern in (_BUNDLE_PATH, _TILE_PATH):
        match = pattern.fullmatch(path)
        if match is None:
            continue
        *head, index_text, width_text = match.groups()
        width = int(width_text) if width_text else TILE_WIDTH
        if width_text and width >= TILE_WIDTH:
            break  # a full tile has no .p/ suffix
        index = _decode_index(index_text, path)
        if not head:
            return EntryBundle(index, width)
        level = int(head[0])
        if level <= MAX_LEVEL:
            return Tile(level, index, width)
    raise TileMalformed(
        f"{path!r} is not a tlog-tiles path",
        hint="Expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>].",
    )


# --------------------------------------------------------------------------- contents


def encode_tile(hashes: Sequence[bytes]) -> bytes:
    """A hash tile's bytes: its hashes, concatenated."""
    if not 1 <= len(hashes) <= TILE_WIDTH or any(len(h) != HASH_SIZE for h in hashes):
        raise ValueError(f"a tile is 1 to {TILE_WIDTH} hashes of {HASH_SIZE} bytes")
    return b"".join(hashes)


def parse_tile(data: bytes, width: int = TILE_WIDTH) -> list[bytes]:
    """The ``width`` hashes in a hash tile; ``TileMalformed`` unless it is exactly that long."""
    _check_width(width)
    if len(data) != width * HASH_SIZE:
        raise TileMalformed(
            f"a tile of width {width} is {width * HASH_SIZE} bytes, not {len(data)}",
            hint="The tile was truncated or padded, or was fetched for another tree size.",
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length, then its bytes."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise ValueError(f"an entry bundle holds 1 to {TILE_WIDTH} entries, not {len(entries)}")
    parts = []
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileMalformed(
                f"entry {position} of the bundle is {len(entry)} bytes; "
                f"a bundle entry is at most {MAX_ENTRY_SIZE}"
            )
        parts.append(len(entry).to_bytes(2, "big") + entry)
    return b"".join(parts)


def parse_entry_bundle(data: bytes, width: int | None = None) -> list[bytes]:
    """The entries in a bundle; with ``width``, there must be exactly that many."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise TileMalformed(
                f"entry {len(entries)} of the bundle has a truncated length prefix at byte {offset}"
            )
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise TileMalformed(
                f"entry {len(entries)} of the bundle says it is {length} bytes, "
                f"but only {len(data) - offset} remain"
            )
        entries.append(data[offset : offset + length])
        offset += length
    if width is not None and len(entries) != width:
        raise TileMalformed(
            f"the bundle holds {len(entries)} entries, not {width}",
            hint="The bundle was truncated or extended, or belongs to another tree size.",
        )
    return entries
