"""An offline audit of a whole tiled log (C2SP tlog-tiles), from a directory or a URL.

The audit trusts nothing but the verifier keys it is given. It checks the checkpoint's
signature, reads every entry bundle, re-hashes every entry, rebuilds every hash tile from
those hashes and compares it with the one the log serves, and checks that the entries hash to
the checkpoint's root. It streams: it holds one bundle and at most one open tile per level
(a few KiB per 256-fold of the log), never the whole log.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.errors import LedgerError, LogAuditFailed
from sharewell.ledger.merkle import CompactRange, leaf_hash, root_from_leaf_hashes
from sharewell.ledger.note import NoteVerifier
from sharewell.ledger.tiles import (
    CHECKPOINT_PATH,
    TILE_WIDTH,
    EntryBundle,
    bundles_for_size,
    entries_path,
    parse_entry_bundle,
    parse_tile,
    tile_path,
)

MAX_RESOURCE_BYTES = 32 * 1024 * 1024
"""Larger than any tlog-tiles resource: a full bundle is at most 256 × (2 + 65,535) bytes."""

Progress = Callable[[int, int], None]
"""Called as ``progress(entries_done, entries_total)`` after each bundle."""


class LogSource(Protocol):
    """Where a tiled log's files come from. ``read`` raises ``FileNotFoundError`` if absent."""

    def read(self, path: str) -> bytes: ...


@dataclass(frozen=True)
class DirectorySource:
    """A tiled log laid out on disk (the log's prefix is this directory)."""

    root: Path

    def read(self, path: str) -> bytes:
        root = self.root.resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise FileNotFoundError(f"{path} is outside the log directory")
        return target.read_bytes()

    def __str__(self) -> str:
        return str(self.root)


@dataclass(frozen=True)
class HTTPSource:
    """A tiled log served over http(s) at ``prefix``; gzip responses are decompressed."""

    prefix: str
    timeout: float = 30.0

    def __post_init__(self) -> None:
        scheme = urllib.parse.urlsplit(self.prefix).scheme
        if scheme not in {"http", "https"}:
            raise ValueError(f"{self.prefix!r} is not an http(s) URL")

    def url(self, path: str) -> str:
        return f"{self.prefix.rstrip('/')}/{path}"

    def read(self, path: str) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
            self.url(path), headers={"Accept-Encoding": "gzip, identity"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - as above
                data: bytes = response.read(MAX_RESOURCE_BYTES + 1)
                encoding = (response.headers.get("Content-Encoding") or "identity").lower()
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                raise FileNotFoundError(self.url(path)) from None
            raise OSError(f"{self.url(path)} answered HTTP {error.code}") from None
        if encoding == "gzip":
            data = _gunzip(data)
        elif encoding != "identity":
            raise OSError(f"{self.url(path)} came with unsupported Content-Encoding {encoding}")
        if len(data) > MAX_RESOURCE_BYTES:
            raise OSError(f"{self.url(path)} is larger than any tlog-tiles resource")
        return data

    def __str__(self) -> str:
        return self.prefix


def _gunzip(data: bytes) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        return decompressor.decompress(data, MAX_RESOURCE_BYTES + 1)
    except zlib.error as error:
        raise OSError(f"a gzip response did not decompress: {error}") from None


def open_source(location: str | Path) -> LogSource:
    """An http(s) URL or a directory, as a ``LogSource``."""
    if isinstance(location, str) and location.startswith(("http://", "https://")):
        return HTTPSource(location)
    return DirectorySource(Path(location))


@dataclass(frozen=True)
class AuditResult:
    """What an audit established: the log of ``size`` entries has ``root_hash``, as signed."""

    size: int
    root_hash: bytes
    checkpoint: SignedCheckpoint


# --------------------------------------------------------------------------- reading


def _unreadable(source: LogSource, path: str, error: OSError) -> LogAuditFailed:
    if isinstance(error, FileNotFoundError):
        return LogAuditFailed(
            f"{path} is missing from the log at {source}",
            hint="A log must serve every tile and bundle that its checkpoint's size implies.",
        )
    return LogAuditFailed(
        f"could not read {path} from the log at {source}: {error}",
        hint="Check the location and the network, then run the audit again.",
    )


def _read(source: LogSource, path: str) -> bytes:
    try:
        return source.read(path)
    except OSError as error:
        raise _unreadable(source, path, error) from error


def _read_partial(source: LogSource, partial: str, full: str, width: int) -> tuple[str, bytes]:
    """A partial resource, or (as tlog-tiles allows) the full one if the partial has gone."""
    try:
        return partial, source.read(partial)
    except FileNotFoundError as error:
        if width == TILE_WIDTH:
            raise _unreadable(source, partial, error) from error
        missing = error
    except OSError as error:
        raise _unreadable(source, partial, error) from error
    try:
        return full, source.read(full)
    except FileNotFoundError:
        raise _unreadable(source, partial, missing) from missing
    except OSError as error:
        raise _unreadable(source, full, error) from error


def read_checkpoint(
    source: LogSource, verifiers: Sequence[NoteVerifier], path: str = CHECKPOINT_PATH
) -> SignedCheckpoint:
    """The log's checkpoint, verified; ``LogAuditFailed`` (with the cause chained) if not."""
    data = _read(source, path)
    try:
        return SignedCheckpoint.from_text(data, verifiers)
    except LedgerError as error:
        raise LogAuditFailed(f"{path}: {error.message}", hint=error.hint) from error


def _read_bundle(source: LogSource, bundle: EntryBundle) -> list[bytes]:
    path, data = _read_partial(source, bundle.path, entries_path(bundle.index), bundle.width)
    try:
        entries = parse_entry_bundle(data, bundle.width if path == bundle.path else TILE_WIDTH)
    except LedgerError as error:
        raise LogAuditFailed(f"{path}: {error.message}", hint=error.hint) from error
    return entries[: bundle.width]


def _read_tile(source: LogSource, level: int, index: int, width: int) -> tuple[str, list[bytes]]:
    partial = tile_path(level, index, width)
    path, data = _read_partial(source, partial, tile_path(level, index), width)
    try:
        hashes = parse_tile(data, width if path == partial else TILE_WIDTH)
    except LedgerError as error:
        raise LogAuditFailed(f"{path}: {error.message}", hint=error.hint) from error
    return path, hashes[:width]


def iter_entries(source: LogSource, size: int) -> Iterator[tuple[int, bytes]]:
    """Every (index, entry) of the first ``size`` entries, bundle by bundle.

    This only reads: nothing here checks the entries against a checkpoint. Use ``audit_log``
    (its ``on_entry`` sees the same entries) when the entries must be proven to be the log's.
    """
    for bundle in bundles_for_size(size):
        for offset, entry in enumerate(_read_bundle(source, bundle)):
            yield bundle.first_entry + offset, entry


# --------------------------------------------------------------------------- the audit


class _TileChecker:
    """Rebuilds each level's tiles from computed hashes and compares them with the log's."""

    def __init__(self, source: LogSource) -> None:
        self.source = source
        self.open: list[list[bytes]] = []  # per level: hashes of the tile being filled
        self.done: list[int] = []  # per level: full tiles checked so far

    def add(self, level: int, hash_: bytes) -> None:
        if level == len(self.open):
            self.open.append([])
            self.done.append(0)
        self.open[level].append(hash_)
        if len(self.open[level]) == TILE_WIDTH:
            hashes, self.open[level] = self.open[level], []
            self._check(level, self.done[level], hashes)
            self.done[level] += 1
            self.add(level + 1, root_from_leaf_hashes(hashes))

    def finish(self) -> None:
        """Check the partial tile left open at each level."""
        for level, hashes in enumerate(self.open):
            if hashes:
                self._check(level, self.done[level], hashes)

    def _check(self, level: int, index: int, computed: list[bytes]) -> None:
        path, served = _read_tile(self.source, level, index, len(computed))
        for position, (mine, theirs) in enumerate(zip(computed, served, strict=True)):
            if mine == theirs:
                continue
            if level == 0:
                entry = index * TILE_WIDTH + position
                what = f"entry {entry} hashes to {mine.hex()[:16]}…"
            else:
                span = TILE_WIDTH**level
                first = (index * TILE_WIDTH + position) * span
                what = f"entries [{first}, {first + span}) hash to {mine.hex()[:16]}…"
            raise LogAuditFailed(
                f"{what}, but {path} holds {theirs.hex()[:16]}… at position {position}",
                hint="The log's tiles and entries disagree: the log is damaged or was altered.",
            )


def audit_log(
    source: LogSource,
    verifiers: Sequence[NoteVerifier],
    progress: Progress | None = None,
    *,
    checkpoint_path: str = CHECKPOINT_PATH,
    on_entry: Callable[[int, bytes], None] | None = None,
) -> AuditResult:
    """Verify the whole log against its signed checkpoint; ``LogAuditFailed`` says what failed.

    ``on_entry(index, entry)`` sees each entry as it is read, so one pass can both audit and
    scan the log; until ``audit_log`` returns, what it has seen is not yet proven.
    """
    signed = read_checkpoint(source, verifiers, checkpoint_path)
    size = signed.size
    tree = CompactRange()
    tiles = _TileChecker(source)
    for bundle in bundles_for_size(size):
        for offset, entry in enumerate(_read_bundle(source, bundle)):
            if on_entry is not None:
                on_entry(bundle.first_entry + offset, entry)
            hash_ = leaf_hash(entry)
            tree.append(hash_)
            tiles.add(0, hash_)
        if progress is not None:
            progress(tree.size, size)
    tiles.finish()
    root = tree.root()
    if root != signed.root_hash:
        raise LogAuditFailed(
            f"the log's {size} entries hash to root {root.hex()[:16]}…, "
            f"but {checkpoint_path} says {signed.root_hash.hex()[:16]}…",
            hint="The entries or the checkpoint were altered after signing.",
        )
    return AuditResult(size, root, signed)
