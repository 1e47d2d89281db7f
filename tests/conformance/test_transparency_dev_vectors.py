"""transparency-dev/merkle's proof test vectors, every one, against ``sharewell.ledger.merkle``.

- ``inclusion/`` and ``consistency/``: RFC 9162 proofs; each vector says whether verification
  must fail (``wantErr``).
- ``subtreeinclusion/``: inclusion in a *subtree* [start, end) (the Merkle Tree Certificates
  draft). A valid subtree (start a multiple of the smallest power of two ≥ end - start) is a
  tree of size end - start shifted by start, so its proof is RFC 9162's PATH(index - start,
  D[start:end]) and ``verify_inclusion`` checks it; an invalid subtree or an index outside it
  must fail before any hashing.
- ``subtreeconsistency/``: only the vectors with start = 0 < end map onto RFC 9162 (they are
  consistency proofs from size ``end`` to ``size``). The rest (start > 0, or an empty
  subtree) follow the draft's own subtree-consistency algorithm, which this ledger does not
  implement, and are left out.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from sharewell.ledger import merkle
from sharewell.ledger.errors import ConsistencyProofInvalid, InclusionProofInvalid

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
VECTORS = CONFORMANCE / "transparency-dev-merkle" / "testdata"

if not VECTORS.is_dir():
    pytest.skip(
        f"transparency-dev vectors not found at {VECTORS} (../shared beside the repo)",
        allow_module_level=True,
    )


def load(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [
        pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS / kind)))
        for f in files
    ]


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def proof_of(vector: dict[str, Any]) -> list[bytes]:
    return [b64(p) for p in vector["proof"] or []]


def bit_ceil(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def test_the_vectors_are_all_there() -> None:
    counts = {
        kind: len(load(kind))
        for kind in ("inclusion", "consistency", "subtreeinclusion", "subtreeconsistency")
    }
    assert counts == {
        "inclusion": 98,
        "consistency": 98,
        "subtreeinclusion": 204,
        "subtreeconsistency": 118,
    }


@pytest.mark.parametrize("vector", load("inclusion"))
def test_inclusion(vector: dict[str, Any]) -> None:
    def verify() -> None:
        merkle.verify_inclusion(
            vector["leafIdx"],
            vector["treeSize"],
            b64(vector["leafHash"]),
            proof_of(vector),
            b64(vector["root"]),
        )

    if vector["wantErr"]:
        with pytest.raises(InclusionProofInvalid):
            verify()
    else:
        verify()


@pytest.mark.parametrize("vector", load("consistency"))
def test_consistency(vector: dict[str, Any]) -> None:
    def verify() -> None:
        merkle.verify_consistency(
            vector["size1"],
            vector["size2"],
            proof_of(vector),
            b64(vector["root1"]),
            b64(vector["root2"]),
        )

    if vector["wantErr"]:
        with pytest.raises(ConsistencyProofInvalid):
            verify()
    else:
        verify()


@pytest.mark.parametrize("vector", load("subtreeinclusion"))
def test_subtree_inclusion(vector: dict[str, Any]) -> None:
    start, end, index = vector["start"], vector["end"], vector["leafIdx"]

    def verify() -> None:
        if not (start < end and start % bit_ceil(end - start) == 0 and start <= index < end):
            raise InclusionProofInvalid(f"[{start}, {end}) is not a subtree holding {index}")
        merkle.verify_inclusion(
            index - start,
            end - start,
            b64(vector["leafHash"]),
            proof_of(vector),
            b64(vector["root"]),
        )

    if vector["wantErr"]:
        with pytest.raises(InclusionProofInvalid):
            verify()
    else:
        verify()


def rfc9162_subtree_consistency() -> list[Any]:
    return [v for v in load("subtreeconsistency") if v.values[0]["start"] == 0 < v.values[0]["end"]]


def test_subtree_consistency_vectors_left_out_are_the_drafts_own() -> None:
    mapped = {v.id for v in rfc9162_subtree_consistency()}
    left_out = [v.values[0] for v in load("subtreeconsistency") if v.id not in mapped]
    assert len(mapped) == 91
    assert all(v["start"] > 0 or v["end"] == 0 for v in left_out)


@pytest.mark.parametrize("vector", rfc9162_subtree_consistency())
def test_subtree_consistency_from_zero(vector: dict[str, Any]) -> None:
    def verify() -> None:
        merkle.verify_consistency(
            vector["end"],
            vector["size"],
            proof_of(vector),
            b64(vector["root1"]),
            b64(vector["root2"]),
        )

    if vector["wantErr"]:
        with pytest.raises(ConsistencyProofInvalid):
            verify()
    else:
        verify()
