"""Merkle Tree Hashes and proofs, as RFC 9162 §2.1 defines them (SHA-256, as RFC 6962).

Storage keeps only *perfect* subtree hashes: node ``(level, k)`` is the Merkle Tree Hash of
leaves ``[k·2^level, (k+1)·2^level)``. Every hash that RFC 9162's PATH and PROOF ask for is
the MTH of a range ``D[start:end]`` whose ``start`` is aligned (a multiple of the largest
power of two ≤ ``end - start``), so it is a right-to-left fold of at most log₂ n perfect
nodes. The ``*_plan`` functions list those nodes so that storage can fetch all of them in one
query; ``fold_subtree`` turns each group back into a hash.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, with the edge cases settled
as the transparency-dev/merkle test vectors settle them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from sharewell.ledger.errors import ConsistencyProofInvalid, InclusionProofInvalid, TreeNodeMissing

HASH_SIZE = 32

Node = tuple[int, int]
"""A perfect subtree ``(level, k)``: the MTH of leaves ``[k·2^level, (k+1)·2^level)``."""

NodeLookup = Callable[[Sequence[Node]], Mapping[Node, bytes]]
"""Storage's side of proof generation: the stored hashes of the nodes asked for."""


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


EMPTY_ROOT = _sha256(b"")
"""MTH({}) = HASH(): the root of the empty tree."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = HASH(0x00 || d(0))."""
    return _sha256(b"\x00" + entry)


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right): an interior node over two subtree hashes."""
    return _sha256(b"\x01" + left + right)


def _largest_power_of_two_below(n: int) -> int:
    """k in RFC 9162: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# --------------------------------------------------------------------------- tree hashes


class CompactRange:
    """The MTH of a growing list of leaf hashes, in O(log n) memory.

    Keeps one perfect subtree per set bit of the size, largest first; the root is their
    right-to-left fold, which is RFC 9162's recursive split at the largest power of two.
    """

    def __init__(self) -> None:
        self.size = 0
        self._nodes: list[bytes] = []  # perfect subtrees, left to right, strictly shrinking

    def append(self, hash_: bytes) -> None:
        """Add the next leaf hash (or any subtree hash treated as a leaf)."""
        self._nodes.append(hash_)
        size = self.size
        while size & 1:  # each trailing one bit of the old size is a merge
            right = self._nodes.pop()
            self._nodes[-1] = node_hash(self._nodes[-1], right)
            size >>= 1
        self.size += 1

    def root(self) -> bytes:
        """MTH of everything appended so far."""
        return fold_subtree(self._nodes)


def root_from_leaf_hashes(hashes: Iterable[bytes]) -> bytes:
    """MTH(D[n]) of the leaves with these hashes, streaming (O(log n) memory)."""
    tree = CompactRange()
    for hash_ in hashes:
        tree.append(hash_)
    return tree.root()


def fold_subtree(hashes: Sequence[bytes]) -> bytes:
    """Fold subtree hashes right to left: H(h0, H(h1, … H(h(m-2), h(m-1)))).

    Given the nodes of a ``subtree_plan``, this is the MTH of that range; the fold of nothing
    is the empty tree's root.
    """
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for hash_ in reversed(hashes[:-1]):
        result = node_hash(hash_, result)
    return result


# --------------------------------------------------------------------------- plans


def subtree_plan(start: int, end: int) -> list[Node]:
    """The perfect nodes, left to right, whose ``fold_subtree`` is MTH(D[start:end]).

    MTH(D[start:end]) splits as a tree of size n = end - start does: perfect subtrees of
    sizes 2^e1 > 2^e2 > … (the set bits of n), left to right. They are stored nodes exactly
    when ``start`` is a multiple of 2^e1, the largest power of two ≤ n; every range that
    RFC 9162's PATH and PROOF ask for meets this (its start is a multiple of the smallest
    power of two ≥ n, or zero). An empty range has no nodes.
    """
    if not 0 <= start <= end:
        raise ValueError(f"[{start}, {end}) is not a range of leaves")
    n = end - start
    if n and start % (1 << (n.bit_length() - 1)):
        raise ValueError(
            f"[{start}, {end}) is not a subtree: {start} is not a multiple of "
            f"{1 << (n.bit_length() - 1)}"
        )
    nodes: list[Node] = []
    offset = start
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            nodes.append((level, offset >> level))
            offset += 1 << level
    return nodes


def root_plan(size: int) -> list[Node]:
    """The perfect nodes whose fold is the root of the tree of this size."""
    return subtree_plan(0, size)


def _path(m: int, start: int, end: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[start:end]) as leaf ranges, bottom-up."""
    n = end - start
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    if m < k:
        return [*_path(m, start, start + k), (start + k, end)]
    return [*_path(m - k, start + k, end), (start, start + k)]


def _subproof(m: int, start: int, end: int, b: bool) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], b) as leaf ranges, in proof order."""
    n = end - start
    if m == n:
        return [] if b else [(start, end)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, start, start + k, b), (start + k, end)]
    return [*_subproof(m - k, start + k, end, False), (start, start + k)]


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    return _path(index, 0, size)


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    if not 0 < size1 <= size2:
        raise ValueError(
            f"no consistency proof from size {size1} to size {size2}: "
            "RFC 9162 defines PROOF(m, D[n]) for 0 < m ≤ n"
        )
    return _subproof(size1, 0, size2, True)


def inclusion_plan(index: int, size: int) -> list[list[Node]]:
    """For each element of PATH(index, D[size]), bottom-up, the nodes that fold into it."""
    return [subtree_plan(start, end) for start, end in _inclusion_ranges(index, size)]


def consistency_plan(size1: int, size2: int) -> list[list[Node]]:
    """For each element of PROOF(size1, D[size2]), in order, the nodes that fold into it."""
    return [subtree_plan(start, end) for start, end in _consistency_ranges(size1, size2)]


# --------------------------------------------------------------------------- generation


def _fetch(plan: Sequence[Sequence[Node]], lookup: NodeLookup) -> list[bytes]:
    wanted = list(dict.fromkeys(node for group in plan for node in group))
    found = lookup(wanted) if wanted else {}
    for node in wanted:
        if node not in found:
            raise TreeNodeMissing(*node)
    return [fold_subtree([found[node] for node in group]) for group in plan]


def inclusion_proof(index: int, size: int, lookup: NodeLookup) -> list[bytes]:
    """PATH(index, D[size]) from stored perfect nodes, with one call to ``lookup``."""
    return _fetch(inclusion_plan(index, size), lookup)


def consistency_proof(size1: int, size2: int, lookup: NodeLookup) -> list[bytes]:
    """PROOF(size1, D[size2]) from stored perfect nodes, with one call to ``lookup``."""
    return _fetch(consistency_plan(size1, size2), lookup)


def tree_root(size: int, lookup: NodeLookup) -> bytes:
    """MTH(D[size]) from stored perfect nodes, with one call to ``lookup``."""
    return _fetch([root_plan(size)], lookup)[0]


# --------------------------------------------------------------------------- verification


def _check_hash_sizes(
    error: type[InclusionProofInvalid | ConsistencyProofInvalid], proof: Sequence[bytes]
) -> None:
    for position, hash_ in enumerate(proof):
        if len(hash_) != HASH_SIZE:
            raise error(
                f"proof element {position} is {len(hash_)} bytes, not a {HASH_SIZE}-byte hash",
                hint="The proof was damaged or is not an RFC 9162 SHA-256 proof.",
            )


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that the leaf with this hash is at ``index`` in the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2; raises ``InclusionProofInvalid`` saying which check failed.
    """
    if not 0 <= index < size:
        raise InclusionProofInvalid(
            f"leaf {index} cannot be in a tree of size {size}",
            hint="Ask for a proof against a checkpoint that includes the entry.",
        )
    if len(leaf_hash) != HASH_SIZE:
        raise InclusionProofInvalid(
            f"the leaf hash is {len(leaf_hash)} bytes, not {HASH_SIZE}",
            hint="Pass MTH({entry}) = SHA-256(0x00 || entry), not the entry itself.",
        )
    expected = len(_inclusion_ranges(index, size))
    if len(proof) != expected:
        raise InclusionProofInvalid(
            f"the inclusion proof for leaf {index} in a tree of size {size} has "
            f"{len(proof)} hashes; RFC 9162 needs {expected}",
            hint="The proof was made for another leaf or tree size, or was truncated.",
        )
    _check_hash_sizes(InclusionProofInvalid, proof)

    fn, sn = index, size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            raise InclusionProofInvalid(f"the inclusion proof for leaf {index} is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InclusionProofInvalid(f"the inclusion proof for leaf {index} is too short")
    if r != root:
        raise InclusionProofInvalid(
            f"leaf {index} and its inclusion proof lead to {r.hex()[:16]}…, "
            f"not the root of the tree of size {size}",
            hint="The entry, its proof or the checkpoint has been altered, or they do not "
            "belong together.",
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the one of ``size1``/``root1``.

    RFC 9162 §2.1.4.2, after the edge cases: equal sizes need an empty proof and equal roots;
    a proof from the empty tree is refused as meaningless (every tree extends it).
    """
    if size1 > size2:
        raise ConsistencyProofInvalid(
            f"a tree of size {size2} cannot extend one of size {size1}",
            hint="Logs only grow: the older checkpoint must have the smaller size.",
        )
    if size1 == 0:
        raise ConsistencyProofInvalid(
            "a consistency proof from the empty tree (size 0) is meaningless",
            hint="Every tree extends the empty tree; check the size-0 root is "
            "SHA-256 of nothing instead.",
        )
    if size1 == size2:
        if proof:
            raise ConsistencyProofInvalid(
                f"trees of equal size {size1} need an empty consistency proof, "
                f"not {len(proof)} hashes"
            )
        if root1 != root2:
            raise ConsistencyProofInvalid(
                f"two different roots for the tree of size {size1}: the log forked",
                hint="Keep both signed checkpoints: they are evidence of a split view.",
            )
        return
    expected = len(_consistency_ranges(size1, size2))
    if len(proof) != expected:
        raise ConsistencyProofInvalid(
            f"the consistency proof from size {size1} to size {size2} has {len(proof)} "
            f"hashes; RFC 9162 needs {expected}",
            hint="The proof was made for other sizes, or was truncated.",
        )
    _check_hash_sizes(ConsistencyProofInvalid, proof)

    path = list(proof)
    if size1 & (size1 - 1) == 0:  # first is an exact power of 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ConsistencyProofInvalid(
                f"the consistency proof from size {size1} to size {size2} is too long"
            )
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ConsistencyProofInvalid(
            f"the consistency proof from size {size1} to size {size2} is too short"
        )
    if fr != root1:
        raise ConsistencyProofInvalid(
            f"the consistency proof does not reproduce the root at size {size1}",
            hint="The proof or the older checkpoint has been altered, or the log forked.",
        )
    if sr != root2:
        raise ConsistencyProofInvalid(
            f"the consistency proof does not lead to the root at size {size2}",
            hint="The proof or the newer checkpoint has been altered, or the log forked.",
        )
