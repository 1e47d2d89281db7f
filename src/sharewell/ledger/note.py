"""Signed notes (C2SP signed-note) with Ed25519, and witness cosignatures (C2SP tlog-cosignature).

A note is text ending in a newline, a blank line, then one or more signature lines::

    — <key name> base64(4-byte key ID || signature)

A key is named by (name, key ID), where key ID = SHA-256(name || 0x0A || type || public key)[:4]
and ``type`` is 0x01 for Ed25519 note signatures and 0x04 for Ed25519 cosignatures (v1). Keys
travel as text in the format of Go's ``golang.org/x/mod/sumdb/note``:

    verifier key  <name>+<key ID, 8 hex digits>+base64(type || 32-byte public key)
    signer key    PRIVATE+KEY+<name>+<key ID>+base64(type || 32-byte private seed)

A cosignature (v1) signs ``"cosignature/v1\\ntime <t>\\n" || note text`` and its signature
bytes are the 8-byte big-endian timestamp ``t`` followed by the 64-byte Ed25519 signature.

Base64 is RFC 4648 §4 with padding, and must be canonical: text that decodes but does not
re-encode to itself (stray bits in the last character) is refused, so one signature has one
spelling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sharewell.ledger.errors import CheckpointSignatureInvalid, NoteMalformed, UnknownKey

SIGNATURE_TYPE_ED25519 = 0x01
SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100
"""The spec asks verifiers to accept at least 16 signatures and to cap them; Go caps at 100."""

EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
COSIGNATURE_HEADER = "cosignature/v1\n"
_MAX_TIMESTAMP = 2**63 - 1


class NoteSigner(Protocol):
    """Anything that can add a signature line to a note."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> bytes: ...
    def sign(self, message: bytes) -> bytes: ...


class NoteVerifier(Protocol):
    """Anything that can check a signature line on a note."""

    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> bytes: ...
    def verify(self, message: bytes, signature: bytes) -> bool: ...


# --------------------------------------------------------------------------- encodings


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str) -> bytes:
    """Strict, canonical RFC 4648 §4 base64; ``NoteMalformed`` naming ``what`` otherwise."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise NoteMalformed(f"{what} is not base64: {text[:24]!r}") from None
    if b64encode(data) != text:
        raise NoteMalformed(f"{what} is not canonical base64: {text[:24]!r}")
    return data


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()[:4]


def is_valid_key_name(name: str) -> bool:
    """Non-empty, no Unicode spaces, no '+', and (for a note line) no control characters."""
    return (
        bool(name)
        and "+" not in name
        and not any(ch.isspace() or ch < " " for ch in name)
        and _is_utf8(name)
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _check_key_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise NoteMalformed(
            f"{name!r} is not a valid key name",
            hint="A key name is non-empty and has no spaces or '+' (e.g. example.com/log).",
        )


def _parse_key_text(text: str, what: str) -> tuple[str, bytes, int, bytes]:
    """``name+hexid+base64(type || key)`` → (name, key ID, type, key)."""
    name, _, rest = text.partition("+")
    hex_id, _, key64 = rest.partition("+")
    _check_key_name(name)
    if len(hex_id) != 8 or any(ch not in "0123456789abcdefABCDEF" for ch in hex_id):
        raise NoteMalformed(
            f"the {what} for {name} has key ID {hex_id!r}; it must be 8 hex digits",
            hint=f"A {what} reads <name>+<8 hex digits>+<base64 key>.",
        )
    key = b64decode(key64, f"the {what} for {name}")
    if len(key) < 2:
        raise NoteMalformed(f"the {what} for {name} has no key material")
    return name, bytes.fromhex(hex_id), key[0], key[1:]


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class _Ed25519Verifier:
    """An Ed25519 public key with a name, for one signature type."""

    SIGNATURE_TYPE: ClassVar[int]

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if len(self.public_key) != 32:
            raise NoteMalformed(
                f"the Ed25519 public key for {self.name} is {len(self.public_key)} bytes, not 32"
            )
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError:
            raise NoteMalformed(f"the public key for {self.name} is not an Ed25519 key") from None

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.SIGNATURE_TYPE, self.public_key)

    @property
    def vkey(self) -> str:
        """The verifier key text: ``name+hexid+base64(type || public key)``."""
        material = bytes([self.SIGNATURE_TYPE]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{b64encode(material)}"

    @classmethod
    def from_vkey(cls, text: str) -> Self:
        name, id_, type_, public_key = _parse_key_text(text.strip(), "verifier key")
        if type_ != cls.SIGNATURE_TYPE:
            raise NoteMalformed(
                f"the verifier key for {name} is of signature type 0x{type_:02x}, "
                f"not 0x{cls.SIGNATURE_TYPE:02x}",
                hint="0x01 is a log's Ed25519 key; 0x04 is a witness's cosignature key.",
            )
        verifier = cls(name, public_key)
        if verifier.key_id != id_:
            raise NoteMalformed(
                f"the verifier key for {name} says key ID {id_.hex()}, "
                f"but its key hashes to {verifier.key_id.hex()}",
                hint="The key text was altered or mis-copied.",
            )
        return verifier

    def _verify_ed25519(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def verify(self, message: bytes, signature: bytes) -> bool:
        raise NotImplementedError

    def verify_line(self, text: str, line: str) -> None:
        """Check one signature line over a note text; raise unless this key made it."""
        signature = NoteSignature.from_line(line)
        if (signature.name, signature.key_id) != (self.name, self.key_id):
            raise UnknownKey(
                f"the line is signed by {signature.name}+{signature.key_id.hex()}, "
                f"not {self.name}+{self.key_id.hex()}"
            )
        if not self.verify(text.encode("utf-8"), signature.signature):
            raise CheckpointSignatureInvalid(
                f"the signature by {self.name} (key {self.key_id.hex()}) does not verify",
                hint="The note text or the signature was altered.",
            )


@dataclass(frozen=True)
class Verifier(_Ed25519Verifier):
    """An Ed25519 note verifier (signature type 0x01): checks a log's own signatures."""

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_ED25519

    def verify(self, message: bytes, signature: bytes) -> bool:
        return len(signature) == 64 and self._verify_ed25519(message, signature)


def cosigned_message(text: bytes, timestamp: int) -> bytes:
    """The message an Ed25519 cosignature v1 signs over a checkpoint's note text."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n".encode("ascii") + text


def cosignature_timestamp(signature: bytes) -> int:
    """The POSIX time a cosignature (its bytes after the key ID) says it was made."""
    if len(signature) != 72:
        raise NoteMalformed(f"a cosignature is 72 bytes, not {len(signature)}")
    return int.from_bytes(signature[:8], "big")


@dataclass(frozen=True)
class CosignatureVerifier(_Ed25519Verifier):
    """A witness's Ed25519 cosignature v1 verifier (signature type 0x04)."""

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_COSIGNATURE_V1

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != 72:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            return False
        return self._verify_ed25519(cosigned_message(message, timestamp), signature[8:])


def verifier_from_vkey(text: str) -> Verifier | CosignatureVerifier:
    """A note verifier or a cosignature verifier, whichever the key's type byte says."""
    _, _, type_, _ = _parse_key_text(text.strip(), "verifier key")
    if type_ == SIGNATURE_TYPE_COSIGNATURE_V1:
        return CosignatureVerifier.from_vkey(text)
    return Verifier.from_vkey(text)


@dataclass(frozen=True)
class _Ed25519Signer:
    """An Ed25519 private key with a name, for one signature type."""

    SIGNATURE_TYPE: ClassVar[int]

    name: str
    private_key: Ed25519PrivateKey = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_key_name(self.name)

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.SIGNATURE_TYPE, self.public_key)

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey_text(cls, text: str) -> Self:
        """Read ``PRIVATE+KEY+name+hexid+base64(type || 32-byte seed)``."""
        private, _, rest = text.strip().partition("+")
        key, _, rest = rest.partition("+")
        if (private, key) != ("PRIVATE", "KEY"):
            raise NoteMalformed(
                "a signer key must start with PRIVATE+KEY+",
                hint="Pass the private key file (…skey), not the verifier key.",
            )
        name, id_, type_, seed = _parse_key_text(rest, "signer key")
        if type_ != cls.SIGNATURE_TYPE:
            raise NoteMalformed(
                f"the signer key for {name} is of signature type 0x{type_:02x}, "
                f"not 0x{cls.SIGNATURE_TYPE:02x}"
            )
        if len(seed) != 32:
            raise NoteMalformed(f"the signer key for {name} has a {len(seed)}-byte seed, not 32")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != id_:
            raise NoteMalformed(
                f"the signer key for {name} says key ID {id_.hex()}, "
                f"but its public key hashes to {signer.key_id.hex()}",
                hint="The key text was altered or mis-copied.",
            )
        return signer

    def to_skey_text(self) -> str:
        seed = self.private_key.private_bytes_raw()
        material = b64encode(bytes([self.SIGNATURE_TYPE]) + seed)
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{material}"


@dataclass(frozen=True)
class Signer(_Ed25519Signer):
    """A log's Ed25519 note signer (signature type 0x01)."""

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_ED25519

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey


def _now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class CosignatureSigner(_Ed25519Signer):
    """A witness's Ed25519 cosignature v1 signer (signature type 0x04).

    ``clock`` gives the POSIX time each cosignature states.
    """

    SIGNATURE_TYPE: ClassVar[int] = SIGNATURE_TYPE_COSIGNATURE_V1

    clock: Callable[[], int] = field(default=_now, repr=False, compare=False)

    @classmethod
    def generate(cls, name: str, clock: Callable[[], int] = _now) -> Self:
        return cls(name, Ed25519PrivateKey.generate(), clock)

    def sign(self, message: bytes) -> bytes:
        timestamp = self.clock()
        if not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise ValueError(f"cosignature timestamp {timestamp} is out of range")
        signature = self.private_key.sign(cosigned_message(message, timestamp))
        return timestamp.to_bytes(8, "big") + signature

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        return self.verifier().vkey


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse ``— <name> base64(key ID || signature)`` (without the newline)."""
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteMalformed(
                f"signature line {line[:40]!r} does not start with an em dash and a space"
            )
        name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
        _check_key_name(name)
        data = b64decode(encoded, f"the signature by {name}")
        if len(data) < 5:
            raise NoteMalformed(f"the signature by {name} is too short to hold a key ID")
        return cls(name, data[:4], data[4:])

    @property
    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_id + self.signature)}"


def _check_note_text(text: str) -> None:
    if not _is_utf8(text):
        raise NoteMalformed("the note is not valid UTF-8")
    for position, ch in enumerate(text):
        if ch < " " and ch != "\n":
            raise NoteMalformed(
                f"the note contains control character U+{ord(ch):04X} at position {position}",
                hint="Signed notes may contain no control characters other than newline.",
            )


@dataclass(frozen=True)
class Note:
    """A signed note: its text (ending in a newline) and its signatures, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    @classmethod
    def from_text(cls, note: str | bytes) -> Note:
        """Parse a signed note; the text ends at the last blank line."""
        if isinstance(note, bytes):
            try:
                note = note.decode("utf-8")
            except UnicodeDecodeError as error:
                raise NoteMalformed(f"the note is not valid UTF-8 (byte {error.start})") from None
        _check_note_text(note)
        split = note.rfind("\n\n")
        if split < 0:
            raise NoteMalformed(
                "the note has no blank line between its text and its signatures",
                hint="A signed note is text, a blank line, then '— name signature' lines.",
            )
        text, block = note[: split + 1], note[split + 2 :]
        if not block or not block.endswith("\n"):
            raise NoteMalformed("the note's signature lines must each end in a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise NoteMalformed(f"the note has {len(lines)} signatures; at most {MAX_SIGNATURES}")
        return cls(text, tuple(NoteSignature.from_line(line) for line in lines))

    def to_text(self) -> str:
        return self.text + "\n" + "".join(f"{s.line}\n" for s in self.signatures)

    @classmethod
    def sign(cls, text: str, signers: Sequence[NoteSigner]) -> Note:
        """Sign ``text`` (which must end in a newline) with each signer, in order."""
        if not text.endswith("\n"):
            raise NoteMalformed("a note's text must end in a newline")
        _check_note_text(text)
        return cls(text, ()).with_signatures(signers)

    def with_signatures(self, signers: Sequence[NoteSigner]) -> Note:
        """This note with more signatures over the same text (e.g. witness cosignatures)."""
        if not signers:
            raise ValueError("sign a note with at least one key")
        message = self.text.encode("utf-8")
        added = []
        for signer in signers:
            _check_key_name(signer.name)
            added.append(NoteSignature(signer.name, signer.key_id, signer.sign(message)))
        return Note(self.text, (*self.signatures, *added))

    def signature_line_for(self, verifier: NoteVerifier) -> str | None:
        """The (first) signature line whose key name and ID are this verifier's, if any."""
        for signature in self.signatures:
            if (signature.name, signature.key_id) == (verifier.name, verifier.key_id):
                return signature.line
        return None

    def verify(self, verifiers: Sequence[NoteVerifier]) -> list[str]:
        """The names of the trusted keys whose signatures verify, in signature order.

        Per the spec, signatures by unknown keys (name and key ID not both matching a trusted
        key) are ignored. A signature by a trusted key that fails to verify rejects the whole
        note (``CheckpointSignatureInvalid``); so does having no trusted signature at all
        (``UnknownKey``).
        """
        known = {(v.name, v.key_id): v for v in verifiers}
        message = self.text.encode("utf-8")
        verified: list[str] = []
        for signature in self.signatures:
            verifier = known.get((signature.name, signature.key_id))
            if verifier is None:
                continue
            if not verifier.verify(message, signature.signature):
                raise CheckpointSignatureInvalid(
                    f"the signature by {signature.name} (key {signature.key_id.hex()}) "
                    "does not verify over the note's text",
                    hint="The note was altered after signing, or the signature is forged.",
                )
            if signature.name not in verified:
                verified.append(signature.name)
        if not verified:
            found = ", ".join(f"{s.name}+{s.key_id.hex()}" for s in self.signatures)
            trusted = ", ".join(f"{v.name}+{v.key_id.hex()}" for v in verifiers) or "none"
            raise UnknownKey(
                f"the note is signed only by keys that are not trusted: {found}",
                hint=f"Trusted keys: {trusted}. Check the verifier key you configured.",
            )
        return verified
