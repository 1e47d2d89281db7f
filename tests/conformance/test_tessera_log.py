"""A real log written by Tessera (transparency-dev) in the tlog-tiles layout, 15 entries.

The audit must accept it at every checkpoint it published (sizes 0 to 15) and reject it when
any single byte of what it reads changes; checkpoints, tiles and proofs made here must agree
with Tessera's byte for byte.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharewell.ledger import merkle, tiles
from sharewell.ledger.audit import DirectorySource, audit_log, iter_entries
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.errors import LogAuditFailed
from sharewell.ledger.merkle import Node, leaf_hash, node_hash
from sharewell.ledger.note import Verifier

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
LOG = CONFORMANCE / "tessera-testdata-log"

if not LOG.is_dir():
    pytest.skip(
        f"Tessera's test log not found at {LOG} (../shared beside the repo)",
        allow_module_level=True,
    )

VKEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
ENTRIES = [
    b"one", b"two", b"three", b"four", b"five", b"six", b"seven", b"eit", b"nain", b"ten",
    b"ileven", b"twelf", b"threeten", b"fourten", b"fivten",
]  # fmt: skip
VERIFIER = Verifier.from_vkey(VKEY)
SIZES = range(16)


def checkpoint(size: int) -> SignedCheckpoint:
    return SignedCheckpoint.from_text((LOG / f"checkpoint.{size}").read_bytes(), [VERIFIER])


def test_the_readme_gives_this_key() -> None:
    assert VKEY in (LOG / "README.md").read_text()
    assert VERIFIER.key_id.hex() == "33d7b496"


def test_the_log_audits_with_its_key() -> None:
    result = audit_log(DirectorySource(LOG), [VERIFIER])
    assert result.size == 15
    assert result.checkpoint.checkpoint.origin == "example.com/log/testdata"
    assert result.checkpoint.verified_by == ("example.com/log/testdata",)
    assert list(iter_entries(DirectorySource(LOG), 15)) == list(enumerate(ENTRIES))


@pytest.mark.parametrize("size", SIZES)
def test_every_published_checkpoint_audits(size: int) -> None:
    result = audit_log(DirectorySource(LOG), [VERIFIER], checkpoint_path=f"checkpoint.{size}")
    assert result.size == size
    assert result.root_hash == merkle.root_from_leaf_hashes(map(leaf_hash, ENTRIES[:size]))


@pytest.mark.parametrize("size", SIZES)
def test_checkpoints_reformat_byte_for_byte(size: int) -> None:
    signed = checkpoint(size)
    assert signed.checkpoint.to_text() == signed.note.text
    assert signed.to_text().encode() == (LOG / f"checkpoint.{size}").read_bytes()


@pytest.mark.parametrize("size", SIZES)
def test_every_tile_path_for_each_size_is_served(size: int) -> None:
    for path in tiles.tile_paths(size):
        assert (LOG / path).is_file(), path
        assert isinstance(tiles.parse_tile_path(path), tiles.Tile | tiles.EntryBundle)


def stored_nodes() -> dict[Node, bytes]:
    nodes: dict[Node, bytes] = {(0, k): leaf_hash(e) for k, e in enumerate(ENTRIES)}
    for level in range(3):
        for k in range(len(ENTRIES) >> (level + 1)):
            nodes[level + 1, k] = node_hash(nodes[level, 2 * k], nodes[level, 2 * k + 1])
    return nodes


def lookup(wanted: list[Node]) -> dict[Node, bytes]:
    nodes = stored_nodes()
    return {node: nodes[node] for node in wanted}


def test_tiles_built_from_stored_nodes_are_tesseras() -> None:
    nodes = stored_nodes()
    for size in range(1, 16):
        (tile,) = tiles.tiles_for_size(size)
        built = tiles.encode_tile([nodes[n] for n in tile.nodes()])
        assert built == (LOG / tile.path).read_bytes()
        bundle = tiles.encode_entry_bundle(ENTRIES[:size])
        assert bundle == (LOG / tiles.entries_path(0, size)).read_bytes()


def test_proofs_made_here_verify_against_tesseras_checkpoints() -> None:
    roots = {size: checkpoint(size).root_hash for size in SIZES}
    assert roots[0] == merkle.EMPTY_ROOT
    for size in range(1, 16):
        assert merkle.tree_root(size, lookup) == roots[size]
        for index in range(size):
            proof = merkle.inclusion_proof(index, size, lookup)
            merkle.verify_inclusion(index, size, leaf_hash(ENTRIES[index]), proof, roots[size])
        for size1 in range(1, size + 1):
            proof = merkle.consistency_proof(size1, size, lookup)
            merkle.verify_consistency(size1, size, proof, roots[size1], roots[size])


# --------------------------------------------------------------------------- tampering

READ_AT_15 = ["checkpoint", "tile/entries/000.p/15", "tile/0/000.p/15"]


class Tampered:
    """The log with one byte of one file changed (in memory)."""

    def __init__(self, path: str, position: int, mask: int) -> None:
        data = bytearray((LOG / path).read_bytes())
        data[position] ^= mask
        self.path, self.data = path, bytes(data)

    def read(self, path: str) -> bytes:
        return self.data if path == self.path else (LOG / path).read_bytes()

    def __str__(self) -> str:
        return f"{LOG} with {self.path} changed"


@pytest.mark.parametrize("path", READ_AT_15)
@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80, 0xFF])
def test_changing_any_byte_is_rejected(path: str, mask: int) -> None:
    accepted = []
    for position in range(len((LOG / path).read_bytes())):
        try:
            audit_log(Tampered(path, position, mask), [VERIFIER])
        except LogAuditFailed:
            continue
        accepted.append(position)
    assert accepted == [], f"{path} changed at {accepted} (xor {mask:#x}) still audits"


@pytest.mark.parametrize("size", range(1, 15))
def test_changing_any_byte_of_an_older_checkpoint_or_its_tiles_is_rejected(size: int) -> None:
    for path in (f"checkpoint.{size}", tiles.entries_path(0, size), tiles.tile_path(0, 0, size)):
        for position in range(len((LOG / path).read_bytes())):
            with pytest.raises(LogAuditFailed):
                audit_log(
                    Tampered(path, position, 0x01),
                    [VERIFIER],
                    checkpoint_path=f"checkpoint.{size}",
                )


@pytest.fixture(scope="module")
def copied_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("tessera") / "log"
    shutil.copytree(LOG, copy)
    return copy


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(READ_AT_15), data=st.data())
def test_a_changed_byte_in_a_copy_on_disk_is_rejected(
    copied_log: Path, path: str, data: st.DataObject
) -> None:
    target = copied_log / path
    original = target.read_bytes()
    position = data.draw(st.integers(0, len(original) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="xor")
    changed = bytearray(original)
    changed[position] ^= mask
    target.write_bytes(bytes(changed))
    try:
        with pytest.raises(LogAuditFailed):
            audit_log(DirectorySource(copied_log), [VERIFIER])
    finally:
        target.write_bytes(original)
    audit_log(DirectorySource(copied_log), [VERIFIER])  # restored, it audits again


def test_failures_say_where() -> None:
    root_line_start = (LOG / "checkpoint").read_bytes().index(b"\n15\n") + 4
    with pytest.raises(LogAuditFailed, match=r"checkpoint: the signature by example\.com/log"):
        audit_log(Tampered("checkpoint", root_line_start, 0x01), [VERIFIER])
    bundle = (LOG / "tile/entries/000.p/15").read_bytes()
    last_entry = bundle.rindex(b"fivten")
    with pytest.raises(LogAuditFailed, match=r"entry 14 hashes to .* tile/0/000\.p/15"):
        audit_log(Tampered("tile/entries/000.p/15", last_entry, 0x01), [VERIFIER])
    with pytest.raises(LogAuditFailed, match=r"entry 3 hashes to .* tile/0/000\.p/15"):
        audit_log(Tampered("tile/0/000.p/15", 3 * 32 + 5, 0x01), [VERIFIER])
