"""C2SP tlog-tiles: paths, tiles, entry bundles, and auditing whole tiled logs.

The logs audited here are written by ``write_log`` below from perfect subtree nodes, the way
storage publishes them, and are big enough to have level-1 and level-2 tiles.
"""

from __future__ import annotations

import gzip
import http.server
import shutil
import threading
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharewell.ledger import tiles
from sharewell.ledger.audit import (
    DirectorySource,
    HTTPSource,
    audit_log,
    iter_entries,
    open_source,
)
from sharewell.ledger.checkpoint import Checkpoint
from sharewell.ledger.errors import LogAuditFailed, TileMalformed
from sharewell.ledger.merkle import Node, leaf_hash, node_hash, root_from_leaf_hashes
from sharewell.ledger.note import Signer
from sharewell.ledger.tiles import TILE_WIDTH, Tile

# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(
    ("index", "encoded"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_tile_index_encoding(index: int, encoded: str) -> None:
    assert tiles.encode_index(index) == encoded


def test_tile_and_bundle_paths() -> None:
    assert tiles.tile_path(0, 0) == "tile/0/000"
    assert tiles.tile_path(1, 1234067, 17) == "tile/1/x001/x234/067.p/17"
    assert tiles.entries_path(0, 15) == "tile/entries/000.p/15"
    assert tiles.entries_path(1000) == "tile/entries/x001/000"
    with pytest.raises(ValueError, match="1 to 256"):
        tiles.tile_path(0, 0, 0)
    with pytest.raises(ValueError, match=r"0\.\.63"):
        tiles.tile_path(64, 0)


def test_the_specs_example_sizes() -> None:
    """tlog-tiles: a tree of 70,000 has 273 full level-0 tiles and a partial one of width 112,
    one full level-1 tile and a partial one of 17, and a partial level-2 tile of width 1; a
    tree of 256 has a full level-0 tile and a partial level-1 tile of width 1."""
    by_level: dict[int, list[Tile]] = {}
    for tile in tiles.tiles_for_size(70_000):
        by_level.setdefault(tile.level, []).append(tile)
    assert [t.width for t in by_level[0]] == [256] * 273 + [112]
    assert by_level[1] == [Tile(1, 0), Tile(1, 1, 17)]
    assert by_level[2] == [Tile(2, 0, 1)]
    assert set(by_level) == {0, 1, 2}
    assert tiles.tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles.tiles_for_size(0) == []
    assert tiles.tile_paths(3) == ["tile/0/000.p/3", "tile/entries/000.p/3"]


@given(st.integers(0, 2**22))
def test_partial_tile_widths_follow_the_spec(size: int) -> None:
    listed = tiles.tiles_for_size(size)
    for level in range(6):
        width = (size // TILE_WIDTH**level) % TILE_WIDTH
        partials = [t for t in listed if t.level == level and t.is_partial]
        assert [t.width for t in partials] == ([width] if width else [])
    bundles = tiles.bundles_for_size(size)
    assert sum(b.width for b in bundles) == size


@given(st.integers(0, 63), st.integers(0, 10**12), st.integers(1, 256))
def test_tile_paths_parse_back(level: int, index: int, width: int) -> None:
    assert tiles.parse_tile_path(tiles.tile_path(level, index, width)) == Tile(level, index, width)
    bundle = tiles.parse_tile_path(tiles.entries_path(index, width))
    assert bundle == tiles.EntryBundle(index, width)


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",
        "tile/64/000",
        "tile/0/0000",
        "tile/0/00",
        "tile/0/x000/005",
        "tile/0/x1/000",
        "tile/0/000/x001",
        "tile/0/000.p/256",
        "tile/0/000.p/0",
        "tile/0/000.p/012",
        "tile/0/000.p/",
        "/tile/0/000",
        "tile/entries/000.p/300",
        "tile/entries/x000/001",
        "tile/data/000",
        "checkpoint",
    ],
)
def test_non_canonical_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TileMalformed):
        tiles.parse_tile_path(path)


# --------------------------------------------------------------------------- tile contents


def perfect_nodes(leaves: Sequence[bytes]) -> dict[Node, bytes]:
    nodes: dict[Node, bytes] = {(0, k): h for k, h in enumerate(leaves)}
    level = 0
    while len(leaves) >> (level + 1):
        for k in range(len(leaves) >> (level + 1)):
            nodes[level + 1, k] = node_hash(nodes[level, 2 * k], nodes[level, 2 * k + 1])
        level += 1
    return nodes


def test_tile_level_l_holds_tree_level_8l() -> None:
    """The i-th hash of tile (l, n) is MTH(D[(n·256 + i)·256^l : (n·256 + i + 1)·256^l])."""
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(2 * 65536 + 300)]
    nodes = perfect_nodes(leaves)
    for tile in tiles.tiles_for_size(len(leaves)):
        span = TILE_WIDTH**tile.level
        for i, node in enumerate(tile.nodes()):
            if i not in (0, tile.width - 1):
                continue  # the first and last hash of every tile are enough here
            first = (tile.index * TILE_WIDTH + i) * span
            assert nodes[node] == root_from_leaf_hashes(leaves[first : first + span])
    assert tiles.hash_tile_nodes(2, 1, 3) == [(16, 256), (16, 257), (16, 258)]


def test_tiles_are_exactly_width_hashes() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(5)]
    data = tiles.encode_tile(hashes)
    assert tiles.parse_tile(data, 5) == hashes
    with pytest.raises(TileMalformed, match="160 bytes, not 192"):
        tiles.parse_tile(data + hashes[0], 5)
    with pytest.raises(TileMalformed, match="128 bytes, not 96"):
        tiles.parse_tile(data[:96], 4)


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    data = tiles.encode_entry_bundle(entries)
    assert tiles.parse_entry_bundle(data) == entries
    assert tiles.parse_entry_bundle(data, len(entries)) == entries


def test_entry_bundle_layout_and_limits() -> None:
    assert tiles.encode_entry_bundle([b"", b"a"]) == b"\x00\x00\x00\x01a"
    assert tiles.parse_entry_bundle(tiles.encode_entry_bundle([b"x" * 0xFFFF])) == [b"x" * 0xFFFF]
    with pytest.raises(TileMalformed, match="at most 65535"):
        tiles.encode_entry_bundle([b"x" * 0x10000])
    with pytest.raises(TileMalformed, match="truncated length prefix"):
        tiles.parse_entry_bundle(b"\x00\x01a\x00")
    with pytest.raises(TileMalformed, match="says it is 5 bytes, but only 2 remain"):
        tiles.parse_entry_bundle(b"\x00\x05ab")
    with pytest.raises(TileMalformed, match="holds 2 entries, not 3"):
        tiles.parse_entry_bundle(b"\x00\x00\x00\x00", 3)


# --------------------------------------------------------------------------- auditing


LOG = Signer.generate("example.com/sharewell-test")


def write_log(root: Path, entries: Sequence[bytes], checkpoint: str = "checkpoint") -> None:
    """Publish a tiled log of these entries as storage would: tiles from perfect nodes."""
    nodes = perfect_nodes([leaf_hash(e) for e in entries])
    size = len(entries)
    for tile in tiles.tiles_for_size(size):
        path = root / tile.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(tiles.encode_tile([nodes[n] for n in tile.nodes()]))
    for bundle in tiles.bundles_for_size(size):
        path = root / bundle.path
        path.parent.mkdir(parents=True, exist_ok=True)
        first = bundle.first_entry
        path.write_bytes(tiles.encode_entry_bundle(entries[first : first + bundle.width]))
    root_hash = root_from_leaf_hashes(nodes[0, k] for k in range(size))
    note = Checkpoint(LOG.name, size, root_hash).sign(LOG)
    (root / checkpoint).write_text(note, encoding="utf-8")


def entries_of(size: int) -> list[bytes]:
    return [f"entry {i}".encode() * (i % 3) for i in range(size)]


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("log")
    write_log(root, entries_of(65536 + 2 * 256 + 7))  # level-2, level-1 and partial tiles
    return root


def test_a_log_with_three_tile_levels_audits(big_log: Path) -> None:
    seen: list[int] = []
    reports: list[tuple[int, int]] = []
    result = audit_log(
        DirectorySource(big_log),
        [LOG.verifier()],
        progress=lambda done, total: reports.append((done, total)),
        on_entry=lambda index, _entry: seen.append(index),
    )
    size = 65536 + 2 * 256 + 7
    assert result.size == size
    assert result.root_hash == result.checkpoint.root_hash
    assert seen == list(range(size))
    assert reports[-1] == (size, size)
    assert len(reports) == len(tiles.bundles_for_size(size))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tile/0/257", "entry 65792 hashes to"),
        ("tile/0/258.p/7", "entry 66048 hashes to"),
        ("tile/1/000", r"entries \[0, 256\) hash to"),
        ("tile/1/001.p/2", r"entries \[65536, 65792\) hash to"),
        ("tile/2/000.p/1", r"entries \[0, 65536\) hash to"),
    ],
)
def test_every_tile_level_is_checked(
    big_log: Path, tmp_path: Path, path: str, message: str
) -> None:
    copy = tmp_path / "log"
    shutil.copytree(big_log, copy)
    data = bytearray((copy / path).read_bytes())
    data[0] ^= 0x80
    (copy / path).write_bytes(bytes(data))
    with pytest.raises(LogAuditFailed, match=message) as caught:
        audit_log(DirectorySource(copy), [LOG.verifier()])
    assert path in caught.value.message


def test_a_changed_entry_is_named(tmp_path: Path) -> None:
    entries = entries_of(300)
    write_log(tmp_path, entries)
    bundle = tmp_path / "tile/entries/001.p/44"
    bundle.write_bytes(tiles.encode_entry_bundle([*entries[256:299], b"forged"]))
    with pytest.raises(LogAuditFailed, match=r"entry 299 hashes to .* tile/0/001\.p/44"):
        audit_log(DirectorySource(tmp_path), [LOG.verifier()])


def test_missing_and_malformed_resources_are_named(tmp_path: Path) -> None:
    write_log(tmp_path, entries_of(300))
    (tmp_path / "tile/0/001.p/44").unlink()
    with pytest.raises(LogAuditFailed, match=r"tile/0/001\.p/44 is missing"):
        audit_log(DirectorySource(tmp_path), [LOG.verifier()])
    (tmp_path / "tile/entries/000").write_bytes(b"\x00\x09short")
    with pytest.raises(LogAuditFailed, match="tile/entries/000: entry 0 of the bundle says"):
        audit_log(DirectorySource(tmp_path), [LOG.verifier()])
    with pytest.raises(LogAuditFailed, match="checkpoint: the note is signed only by keys"):
        audit_log(DirectorySource(tmp_path), [Signer.generate(LOG.name).verifier()])
    with pytest.raises(LogAuditFailed, match="nowhere is missing"):
        audit_log(DirectorySource(tmp_path), [LOG.verifier()], checkpoint_path="nowhere")


def test_an_older_checkpoint_audits_from_full_tiles_once_partials_are_gone(tmp_path: Path) -> None:
    """tlog-tiles lets a log delete a partial tile once the full one exists."""
    entries = entries_of(300)
    write_log(tmp_path, entries[:200], checkpoint="checkpoint.200")
    write_log(tmp_path, entries)
    for gone in ("tile/0/000.p/200", "tile/entries/000.p/200"):
        (tmp_path / gone).unlink()
    result = audit_log(
        DirectorySource(tmp_path), [LOG.verifier()], checkpoint_path="checkpoint.200"
    )
    assert result.size == 200


def test_the_empty_log_audits(tmp_path: Path) -> None:
    write_log(tmp_path, [])
    assert audit_log(DirectorySource(tmp_path), [LOG.verifier()]).size == 0
    assert list(iter_entries(DirectorySource(tmp_path), 0)) == []


def test_iter_entries_streams_every_entry(tmp_path: Path) -> None:
    entries = entries_of(600)
    write_log(tmp_path, entries)
    assert list(iter_entries(DirectorySource(tmp_path), 600)) == list(enumerate(entries))
    assert list(iter_entries(DirectorySource(tmp_path), 3)) == list(enumerate(entries[:3]))


def test_a_directory_source_stays_inside_its_directory(tmp_path: Path) -> None:
    (tmp_path / "secret").write_bytes(b"x")
    log = tmp_path / "log"
    log.mkdir()
    with pytest.raises(FileNotFoundError, match="outside"):
        DirectorySource(log).read("../secret")


# --------------------------------------------------------------------------- over HTTP


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the log directory; entry bundles gzipped, as tlog-tiles lets a log do."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if "/entries/" not in self.path:
            super().do_GET()
            return
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        body = gzip.compress(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    handler = partial(_Handler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}/log/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_log_audits_over_http_with_gzip(served: tuple[Path, str]) -> None:
    root, url = served
    write_log(root / "log", entries_of(700))
    source = open_source(url)
    assert isinstance(source, HTTPSource)
    assert audit_log(source, [LOG.verifier()]).size == 700
    (root / "log/tile/entries/001").unlink()
    with pytest.raises(LogAuditFailed, match="tile/entries/001 is missing"):
        audit_log(source, [LOG.verifier()])


def test_open_source_and_http_schemes(tmp_path: Path) -> None:
    assert isinstance(open_source(tmp_path), DirectorySource)
    assert isinstance(open_source(str(tmp_path)), DirectorySource)
    with pytest.raises(ValueError, match="http"):
        HTTPSource("file:///etc/")
