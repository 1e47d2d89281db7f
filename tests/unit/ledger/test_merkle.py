"""RFC 9162 §2.1: tree hashes, proofs from stored perfect subtrees, and their verification.

The reference below is RFC 9162's recursive definitions written out over a list of leaf
hashes, independently of ``merkle``'s plans; the properties check the plans, the generated
proofs and the verifiers against it on random logs.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharewell.ledger import merkle
from sharewell.ledger.errors import (
    ConsistencyProofInvalid,
    InclusionProofInvalid,
    TreeNodeMissing,
)
from sharewell.ledger.merkle import EMPTY_ROOT, Node, leaf_hash, node_hash

# --------------------------------------------------------------------------- RFC 9162 reference


def _k(n: int) -> int:
    """The largest power of two smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return EMPTY_ROOT
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


# --------------------------------------------------------------------------- a stored log


class Store:
    """What storage keeps: every perfect subtree hash of a log, and how often it was asked."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.nodes: dict[Node, bytes] = {(0, k): h for k, h in enumerate(leaves)}
        level = 0
        while True:
            width = len(leaves) >> (level + 1)
            if not width:
                break
            for k in range(width):
                left, right = self.nodes[level, 2 * k], self.nodes[level, 2 * k + 1]
                self.nodes[level + 1, k] = node_hash(left, right)
            level += 1
        self.calls = 0

    def lookup(self, wanted: Sequence[Node]) -> Mapping[Node, bytes]:
        self.calls += 1
        return {node: self.nodes[node] for node in wanted if node in self.nodes}


def make_leaves(seed: int, size: int) -> list[bytes]:
    rng = random.Random(seed)
    return [leaf_hash(rng.randbytes(rng.randrange(0, 24))) for _ in range(size)]


logs = st.builds(make_leaves, st.integers(0, 2**32), st.integers(1, 300))


@st.composite
def log_and_index(draw: st.DrawFn) -> tuple[list[bytes], int]:
    leaves = draw(logs)
    return leaves, draw(st.integers(0, len(leaves) - 1))


@st.composite
def log_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    leaves = draw(logs)
    size2 = draw(st.integers(1, len(leaves)))
    return leaves, draw(st.integers(1, size2)), size2


def flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


# --------------------------------------------------------------------------- known answers

# The tree from RFC 6962's reference tests (as transparency-dev/merkle uses them): eight
# leaves and the roots of each prefix.
RFC6962_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
RFC6962_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_empty_root_is_sha256_of_nothing() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert merkle.root_from_leaf_hashes([]) == EMPTY_ROOT
    assert merkle.fold_subtree([]) == EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_reference_roots(size: int) -> None:
    hashes = [leaf_hash(entry) for entry in RFC6962_LEAVES[:size]]
    assert merkle.root_from_leaf_hashes(hashes).hex() == RFC6962_ROOTS[size - 1]
    assert merkle.tree_root(size, Store(hashes).lookup).hex() == RFC6962_ROOTS[size - 1]


def test_rfc6962_reference_proofs() -> None:
    """Two known proofs from the same reference tests: PATH(5, D[8]) and PROOF(6, D[8])."""
    store = Store([leaf_hash(entry) for entry in RFC6962_LEAVES])
    assert [h.hex() for h in merkle.inclusion_proof(5, 8, store.lookup)] == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]
    assert [h.hex() for h in merkle.consistency_proof(6, 8, store.lookup)] == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ]


# --------------------------------------------------------------------------- tree hashes


@given(logs)
def test_streaming_root_is_the_rfc_mth_at_every_size(leaves: list[bytes]) -> None:
    tree = merkle.CompactRange()
    for size, hash_ in enumerate(leaves, start=1):
        tree.append(hash_)
        if size % 17 == 0 or size == len(leaves):
            assert tree.root() == ref_mth(leaves[:size])
    assert tree.size == len(leaves)


@given(logs, st.data())
def test_subtree_plan_folds_to_the_mth_of_its_range(
    leaves: list[bytes], data: st.DataObject
) -> None:
    end = data.draw(st.integers(1, len(leaves)))
    n = data.draw(st.integers(1, end))
    alignment = 1 << (n.bit_length() - 1)  # the largest power of two ≤ n
    start = data.draw(st.integers(0, (end - n) // alignment)) * alignment
    plan = merkle.subtree_plan(start, start + n)
    assert len(plan) == n.bit_count()
    store = Store(leaves)
    assert merkle.fold_subtree([store.nodes[node] for node in plan]) == ref_mth(
        leaves[start : start + n]
    )


@pytest.mark.parametrize(
    ("start", "end"), [(1, 3), (2, 6), (3, 5), (4, 12), (6, 10), (-1, 2), (3, 2)]
)
def test_subtree_plan_refuses_unaligned_ranges(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="not a"):
        merkle.subtree_plan(start, end)


def test_subtree_plan_of_nothing_is_empty() -> None:
    assert merkle.subtree_plan(5, 5) == []
    assert merkle.root_plan(0) == []
    assert merkle.tree_root(0, Store([]).lookup) == EMPTY_ROOT


# --------------------------------------------------------------------------- inclusion


@given(log_and_index())
def test_inclusion_proofs_from_plans_are_rfc_paths_and_verify(
    case: tuple[list[bytes], int],
) -> None:
    leaves, index = case
    size = len(leaves)
    store = Store(leaves)
    proof = merkle.inclusion_proof(index, size, store.lookup)
    assert store.calls == (1 if size > 1 else 0)  # a one-leaf tree's proof is empty
    assert proof == ref_path(index, leaves)
    plan = merkle.inclusion_plan(index, size)
    assert sum(map(len, plan)) <= 2 * size.bit_length()  # O(log n) nodes, one query
    merkle.verify_inclusion(index, size, leaves[index], proof, ref_mth(leaves))


@given(log_and_index(), st.data())
def test_inclusion_fails_when_any_bit_changes(
    case: tuple[list[bytes], int], data: st.DataObject
) -> None:
    leaves, index = case
    size = len(leaves)
    proof = ref_path(index, leaves)
    root = ref_mth(leaves)
    target = data.draw(st.integers(-2, len(proof) - 1))  # -2: the leaf, -1: the root
    bit = data.draw(st.integers(0, 255))
    leaf = flip(leaves[index], bit) if target == -2 else leaves[index]
    root = flip(root, bit) if target == -1 else root
    if target >= 0:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(InclusionProofInvalid):
        merkle.verify_inclusion(index, size, leaf, proof, root)


@pytest.mark.parametrize(
    ("index", "size", "proof_length", "message"),
    [
        (0, 0, 0, "cannot be in a tree of size 0"),
        (3, 3, 0, "cannot be in a tree of size 3"),
        (-1, 3, 0, "cannot be in a tree"),
        (0, 3, 1, "has 1 hashes; RFC 9162 needs 2"),
        (0, 3, 3, "has 3 hashes; RFC 9162 needs 2"),
    ],
)
def test_inclusion_edge_cases(index: int, size: int, proof_length: int, message: str) -> None:
    with pytest.raises(InclusionProofInvalid, match=message):
        merkle.verify_inclusion(index, size, EMPTY_ROOT, [EMPTY_ROOT] * proof_length, EMPTY_ROOT)


def test_inclusion_refuses_an_entry_in_place_of_its_hash() -> None:
    with pytest.raises(InclusionProofInvalid, match="leaf hash is 5 bytes") as caught:
        merkle.verify_inclusion(0, 1, b"entry", [], leaf_hash(b"entry"))
    assert caught.value.hint is not None
    assert "0x00" in caught.value.hint


# --------------------------------------------------------------------------- consistency


@given(log_and_sizes())
def test_consistency_proofs_from_plans_are_rfc_proofs_and_verify(
    case: tuple[list[bytes], int, int],
) -> None:
    leaves, size1, size2 = case
    store = Store(leaves)
    proof = merkle.consistency_proof(size1, size2, store.lookup)
    assert store.calls == (1 if size1 < size2 else 0)  # nothing to fetch for equal sizes
    assert proof == ref_proof(size1, leaves[:size2])
    plan = merkle.consistency_plan(size1, size2)
    assert sum(map(len, plan)) <= 2 * size2.bit_length()
    merkle.verify_consistency(size1, size2, proof, ref_mth(leaves[:size1]), ref_mth(leaves[:size2]))


@given(log_and_sizes(), st.data())
def test_consistency_fails_when_any_bit_changes(
    case: tuple[list[bytes], int, int], data: st.DataObject
) -> None:
    leaves, size1, size2 = case
    proof = ref_proof(size1, leaves[:size2])
    root1, root2 = ref_mth(leaves[:size1]), ref_mth(leaves[:size2])
    target = data.draw(st.integers(-2, len(proof) - 1))  # -2: root1, -1: root2
    bit = data.draw(st.integers(0, 255))
    if target == -2:
        root1 = flip(root1, bit)
    elif target == -1:
        root2 = flip(root2, bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(ConsistencyProofInvalid):
        merkle.verify_consistency(size1, size2, proof, root1, root2)


@pytest.mark.parametrize(
    ("size1", "size2", "proof_length", "message"),
    [
        (2, 1, 0, "cannot extend"),
        (0, 0, 0, "from the empty tree"),
        (0, 5, 0, "from the empty tree"),
        (3, 3, 1, "need an empty consistency proof"),
        (1, 2, 0, "has 0 hashes; RFC 9162 needs 1"),
    ],
)
def test_consistency_edge_cases(size1: int, size2: int, proof_length: int, message: str) -> None:
    with pytest.raises(ConsistencyProofInvalid, match=message):
        merkle.verify_consistency(size1, size2, [EMPTY_ROOT] * proof_length, EMPTY_ROOT, EMPTY_ROOT)


def test_equal_sizes_with_different_roots_is_a_fork() -> None:
    with pytest.raises(ConsistencyProofInvalid, match="forked") as caught:
        merkle.verify_consistency(4, 4, [], EMPTY_ROOT, leaf_hash(b""))
    assert caught.value.hint is not None


@pytest.mark.parametrize(("size1", "size2"), [(0, 3), (4, 3), (-1, 2)])
def test_consistency_plan_refuses_sizes_rfc_9162_does_not_define(size1: int, size2: int) -> None:
    with pytest.raises(ValueError, match="0 < m ≤ n"):
        merkle.consistency_plan(size1, size2)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 4)])
def test_inclusion_plan_refuses_leaves_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_plan(index, size)


# --------------------------------------------------------------------------- storage gaps


def test_a_missing_stored_node_is_named() -> None:
    store = Store(make_leaves(1, 10))
    del store.nodes[3, 0]
    with pytest.raises(TreeNodeMissing, match="level 3, index 0") as caught:
        merkle.tree_root(10, store.lookup)
    assert (caught.value.level, caught.value.k) == (3, 0)


@settings(max_examples=25)
@given(st.integers(2, 2**40))
def test_plans_stay_logarithmic_for_large_logs(size: int) -> None:
    for index in (0, size // 3, size - 1):
        assert sum(map(len, merkle.inclusion_plan(index, size))) <= 2 * size.bit_length()
    for size1 in (1, size // 2 or 1, size - 1):
        assert sum(map(len, merkle.consistency_plan(size1, size))) <= 2 * size.bit_length()
    assert len(merkle.root_plan(size)) == size.bit_count()
