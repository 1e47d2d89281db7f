"""The public log's leaves (format ``sharewell-entry/v2``), RFC 8785 JSON, safe to publish whole.

A leaf holds its kind's public record (``records``), the hour it was written, a subject
commitment and, for kinds about a person, a sealed part:

- **commitment** = HMAC-SHA-256(trail key, label ‖ nonce ‖ SHA-256(the rest of the leaf)), with a
  fresh 16-byte nonce: it binds the leaf it sits in, so a commitment copied into another leaf
  opens nowhere. A leaf about nobody (an agreement change, a person the discloser does not
  hold, padding) gets random bytes of the same shape, so "about nobody" does not show.
- **sealed** = ChaCha20-Poly1305 of the kind's sealed record, under a key derived (HKDF-SHA-256)
  from the trail key and the nonce, with the public part as associated data, padded so that its
  length does not tell one outcome from another. Only the person (and the operator, who keeps
  their key) can read it.

A group of leaves written together (one request) is padded to a power-of-two count with leaves
indistinguishable from real ones and shuffled, so the log shows neither a request's size nor
the order of its list of people.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sharewell.ledger.errors import LedgerError
from sharewell.ledger.records import (
    KIND_OF,
    RECORDS,
    EntryKind,
    PublicRecord,
    SealedRecord,
    public_hour,
)

ENTRY_FORMAT = "sharewell-entry/v2"
LEGACY_ENTRY_FORMAT = "sharewell-entry/v1"
TRAIL_KEY_FORMAT = "sharewell-trail-key/v2"
LEGACY_TRAIL_KEY_FORMAT = "sharewell-trail-key/v1"
TRAIL_KEY_BYTES = 32
NONCE_BYTES = 16
COMMITMENT_BYTES = 32
COMMITMENT_LABEL = b"sharewell-entry/v2 subject commitment\x00"
SEAL_LABEL = b"sharewell-entry/v2 sealed part"
SEAL_BLOCK = 512  # sealed parts are padded to a multiple of this many bytes
_TAG_BYTES = 16
_ZERO_NONCE = bytes(12)  # each sealing key is used once (derived from a fresh nonce)


class TrailKeyInvalid(LedgerError):
    """A trail key file could not be read."""


def new_trail_key() -> bytes:
    return secrets.token_bytes(TRAIL_KEY_BYTES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# The largest integers JSON numbers (IEEE doubles) hold exactly; RFC 8785 refuses larger ones.
_SAFE_INTEGER = 2**53 - 1


def _plain(value: Any) -> bool:
    """Whether RFC 8785 would write ``value`` exactly as ``json.dumps`` (sorted, compact,
    not ASCII-escaped) does: strings, safe integers, booleans, null, lists and objects whose
    keys are ASCII (code-point and UTF-16 order agree). Floats are not: their RFC 8785 form
    is ECMAScript's, not Python's."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    return False


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of ``value``.

    Every ledger entry is written through here. For the plain values entries hold, the
    standard library's encoder gives RFC 8785's bytes four times faster than ``rfc8785``
    (a property test holds the two equal); anything else goes to ``rfc8785`` itself, which
    also refuses what JCS cannot express (lone surrogates, unsafe integers, NaN).
    """
    if _plain(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it
            pass
    return rfc8785.dumps(value)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Leaf:
    """One entry to write: its kind's public record, and for a person, their sealed record
    and trail key. ``time`` is exact; the leaf shows only its hour."""

    public: PublicRecord
    time: dt.datetime
    sealed: SealedRecord | None = None
    subject_key: bytes | None = None

    @property
    def kind(self) -> EntryKind:
        return KIND_OF[type(self.public)]

    def __post_init__(self) -> None:
        _, sealed_type = RECORDS[self.kind]
        if sealed_type is None and (self.sealed is not None or self.subject_key is not None):
            raise ValueError(f"a {self.kind} entry is about nobody: it has no sealed part")
        if self.sealed is not None and not isinstance(self.sealed, sealed_type or ()):
            raise ValueError(f"a {self.kind} entry's sealed part must be a {sealed_type}")
        if (self.sealed is None) != (self.subject_key is None):
            raise ValueError("a sealed part needs the trail key it is sealed for, and back")

    def header(self) -> dict[str, Any]:
        return {
            "format": ENTRY_FORMAT,
            "kind": self.kind.value,
            "hour": public_hour(self.time),
            **self.public.model_dump(mode="json", by_alias=True),
        }


def _seal_key(trail_key: bytes, nonce: bytes) -> bytes:
    return HKDF(hashes.SHA256(), length=32, salt=nonce, info=SEAL_LABEL).derive(trail_key)


def _digest(rest: Mapping[str, Any]) -> bytes:
    """SHA-256 of everything in the leaf but its commitment: what the commitment binds."""
    return hashlib.sha256(canonical_json(dict(rest))).digest()


def _commitment(trail_key: bytes, nonce: bytes, digest: bytes) -> bytes:
    return hmac.new(trail_key, COMMITMENT_LABEL + nonce + digest, hashlib.sha256).digest()


def _padded_size(plaintexts: Iterable[bytes]) -> int:
    longest = max((len(p) for p in plaintexts), default=0)
    return max(SEAL_BLOCK, -(-longest // SEAL_BLOCK) * SEAL_BLOCK)


def _encode(
    header: Mapping[str, Any],
    aad: bytes,
    has_sealed_part: bool,
    subject_key: bytes | None,
    plaintext: bytes | None,
    size: int,
) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    rest = dict(header)
    if has_sealed_part:
        if subject_key is not None and plaintext is not None:
            padded = plaintext + b" " * (size - len(plaintext))  # JSON allows trailing space
            sealed = ChaCha20Poly1305(_seal_key(subject_key, nonce)).encrypt(
                _ZERO_NONCE, padded, aad
            )
        else:
            sealed = secrets.token_bytes(size + _TAG_BYTES)
        rest["sealed"] = _b64(sealed)
    claimed = (
        _commitment(subject_key, nonce, _digest(rest))
        if subject_key is not None
        else secrets.token_bytes(COMMITMENT_BYTES)
    )
    return canonical_json({**rest, "subject": {"nonce": _b64(nonce), "commitment": _b64(claimed)}})


def leaves_written_for(count: int) -> int:
    """How many leaves a group of ``count`` is written as: the next power of two."""
    return 1 if count <= 1 else 1 << (count - 1).bit_length()


@dataclass(frozen=True)
class EncodedGroup:
    entries: list[bytes]  # in the order to append them: shuffled, padding included
    positions: list[int]  # positions[i]: where the group's i-th leaf is in ``entries``


def encode_group(leaves: Sequence[Leaf]) -> EncodedGroup:
    """The leaves of one group (one request's decisions, say), ready to append: sealed parts
    of one length, padded to a power-of-two count with leaves no one can tell from real ones
    (the same public part, nobody's commitment, random sealed bytes), and shuffled."""
    if not leaves:
        return EncodedGroup([], [])
    first = leaves[0]
    hour = public_hour(first.time)
    if any(leaf.public != first.public or public_hour(leaf.time) != hour for leaf in leaves):
        raise ValueError("a group's leaves share one public part and hour")
    header = first.header()
    aad = canonical_json(header)
    has_sealed_part = RECORDS[first.kind][1] is not None
    plaintexts = [
        canonical_json(leaf.sealed.model_dump(mode="json")) if leaf.sealed is not None else None
        for leaf in leaves
    ]
    size = _padded_size(p for p in plaintexts if p is not None)
    written = leaves_written_for(len(leaves))
    order = list(range(written))
    secrets.SystemRandom().shuffle(order)
    entries: list[bytes] = []
    positions = [0] * len(leaves)
    for slot, source in enumerate(order):
        if source < len(leaves):
            positions[source] = slot
            key, plaintext = leaves[source].subject_key, plaintexts[source]
        else:  # padding
            key, plaintext = None, None
        entries.append(_encode(header, aad, has_sealed_part, key, plaintext, size))
    return EncodedGroup(entries, positions)


def encode_leaf(leaf: Leaf) -> bytes:
    """One leaf on its own (a group of one)."""
    return encode_group([leaf]).entries[0]


# --------------------------------------------------------------------------- reading


def decode_entry(data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"format": "unknown"}
    return body if isinstance(body, dict) else {"format": "unknown"}


@dataclass(frozen=True)
class OpenedEntry:
    """An entry as its subject reads it: the public record and the sealed one, opened."""

    kind: str
    time: dt.datetime  # exact, from the sealed part (the hour, for a kind without one)
    facts: Mapping[str, Any]  # the public and sealed records' fields, together
    key_position: int  # which of the person's keys opened it (0: the newest)


def _parse_time(text: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _subject_parts(body: Mapping[str, Any]) -> tuple[bytes, bytes] | None:
    subject = body.get("subject")
    if not isinstance(subject, dict):
        return None
    try:
        nonce = base64.b64decode(subject["nonce"], validate=True)
        claimed = base64.b64decode(subject["commitment"], validate=True)
    except (KeyError, TypeError, ValueError):
        return None
    return nonce, claimed


def _open_v2(body: Mapping[str, Any], keys: Sequence[bytes]) -> OpenedEntry | None:
    parts = _subject_parts(body)
    if parts is None:
        return None
    nonce, claimed = parts
    rest = {k: v for k, v in body.items() if k != "subject"}
    try:
        digest = _digest(rest)
    except (TypeError, ValueError):  # not JSON that canonicalises: not a leaf we wrote
        return None
    position = next(
        (
            i
            for i, key in enumerate(keys)
            if hmac.compare_digest(_commitment(key, nonce, digest), claimed)
        ),
        None,
    )
    if position is None:
        return None
    facts = {k: v for k, v in rest.items() if k not in ("format", "sealed")}
    time = _parse_time(str(body.get("hour", "")).replace("Z", ":00Z"))
    if "sealed" in rest:
        header = {k: v for k, v in rest.items() if k != "sealed"}
        try:
            sealed = base64.b64decode(str(rest["sealed"]), validate=True)
            plaintext = ChaCha20Poly1305(_seal_key(keys[position], nonce)).decrypt(
                _ZERO_NONCE, sealed, canonical_json(header)
            )
            opened = json.loads(plaintext)
        except (ValueError, InvalidTag):
            return None
        if not isinstance(opened, dict):
            return None
        facts.update(opened)
        time = _parse_time(opened.get("time")) or time
    return OpenedEntry(
        kind=str(body.get("kind")),
        time=time or dt.datetime.min.replace(tzinfo=dt.UTC),
        facts=facts,
        key_position=position,
    )


def _open_v1(body: Mapping[str, Any], keys: Sequence[bytes]) -> OpenedEntry | None:
    """A leaf written before version 2 (everything public, the commitment unbound): still in
    its person's trail, read into version 2's names."""
    parts = _subject_parts(body)
    if parts is None:
        return None
    nonce, claimed = parts
    position = next(
        (
            i
            for i, key in enumerate(keys)
            if hmac.compare_digest(hmac.new(key, nonce, hashlib.sha256).digest(), claimed)
        ),
        None,
    )
    if position is None:
        return None
    found = body.get("details")
    details: Mapping[str, Any] = found if isinstance(found, dict) else {}
    facts: dict[str, Any] = {**details, "kind": body.get("kind")}
    facts.update(
        organisation=body.get("organisation"),
        purpose=body.get("purpose"),
        gateways=body.get("gateways") or [],
        released=body.get("fields") or [],
        refused=details.get("refused_fields") or [],
        outcome=body.get("outcome"),
    )
    return OpenedEntry(
        kind=str(body.get("kind")),
        time=_parse_time(body.get("time")) or dt.datetime.min.replace(tzinfo=dt.UTC),
        facts=facts,
        key_position=position,
    )


def open_entry(data: bytes | Mapping[str, Any], keys: Sequence[bytes]) -> OpenedEntry | None:
    """The entry opened under whichever of these trail keys is its subject's, or None."""
    body = decode_entry(data) if isinstance(data, bytes) else data
    if body.get("format") == ENTRY_FORMAT:
        return _open_v2(body, keys)
    if body.get("format") == LEGACY_ENTRY_FORMAT:
        return _open_v1(body, keys)
    return None


def scan_trail(
    entries: Iterable[tuple[int, bytes]], keys: Sequence[bytes]
) -> Iterator[tuple[int, OpenedEntry]]:
    """Every entry about the keys' holder, from any source of (index, entry bytes)."""
    for index, data in entries:
        opened = open_entry(data, keys)
        if opened is not None:
            yield index, opened


def commitment_of(body: Mapping[str, Any]) -> bytes | None:
    """An entry's claimed commitment (to notice one copied from another entry)."""
    parts = _subject_parts(body)
    return None if parts is None else parts[1]


# --------------------------------------------------------------------------- trail keys


def trail_key_document(keys: Sequence[bytes], *, log_origin: str) -> str:
    """The file a citizen downloads: every trail key they have had, newest first (old entries
    open with the key they were written under), and which log they are for."""
    return (
        json.dumps(
            {"format": TRAIL_KEY_FORMAT, "log": log_origin, "keys": [_b64(k) for k in keys]},
            indent=2,
        )
        + "\n"
    )


def read_trail_keys(text: str) -> tuple[bytes, ...]:
    """The keys in a trail key file (this version's, or a version 1 file's single key)."""
    try:
        document = json.loads(text)
        version = document.get("format")
        if version == TRAIL_KEY_FORMAT:
            encoded = document["keys"]
            if not isinstance(encoded, list) or not encoded:
                raise ValueError("no keys")
        elif version == LEGACY_TRAIL_KEY_FORMAT:
            encoded = [document["key"]]
        else:
            raise TrailKeyInvalid(f"This is not a sharewell trail key (format {version!r}).")
        keys = tuple(base64.b64decode(k, validate=True) for k in encoded)
    except TrailKeyInvalid:
        raise
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        raise TrailKeyInvalid(
            "The trail key file could not be read.",
            hint="Download it again from the citizen portal; it is a small JSON file.",
        ) from None
    for key in keys:
        if len(key) != TRAIL_KEY_BYTES:
            raise TrailKeyInvalid(f"A trail key is {TRAIL_KEY_BYTES} bytes, not {len(key)}.")
    return keys
