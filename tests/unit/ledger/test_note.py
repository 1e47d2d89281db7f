"""C2SP signed-note, tlog-cosignature (Ed25519, v1) and tlog-checkpoint, to the byte.

Known answers come from the Go reference implementation's documentation
(golang.org/x/mod/sumdb/note), the signed-note spec's example, and a witness key and
cosignature from transparency-dev/formats' tests.
"""

from __future__ import annotations

import base64
import hashlib
import string

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from sharewell.ledger.checkpoint import Checkpoint, SignedCheckpoint
from sharewell.ledger.errors import (
    CheckpointMalformed,
    CheckpointSignatureInvalid,
    LedgerError,
    NoteMalformed,
    UnknownKey,
)
from sharewell.ledger.merkle import EMPTY_ROOT, leaf_hash
from sharewell.ledger.note import (
    CosignatureSigner,
    CosignatureVerifier,
    Note,
    NoteSignature,
    Signer,
    Verifier,
    cosignature_timestamp,
    key_id,
    verifier_from_vkey,
)

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
WITNESS_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
COSIGNATURE_1727964367 = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4v"
    "anlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
)
ROOT = leaf_hash(b"root")
CHECKPOINT_TEXT = f"example.com/log\n7\n{base64.b64encode(ROOT).decode()}\n"


# --------------------------------------------------------------------------- keys


def test_go_reference_note_is_reproduced_byte_for_byte() -> None:
    signer = Signer.from_skey_text(GO_SKEY)
    assert signer.to_skey_text() == GO_SKEY
    assert signer.vkey == GO_VKEY
    assert Note.sign(GO_TEXT, [signer]).to_text() == GO_NOTE
    assert Note.from_text(GO_NOTE).verify([Verifier.from_vkey(GO_VKEY)]) == ["PeterNeumann"]


def test_spec_example_verifies() -> None:
    verifier = Verifier.from_vkey(SPEC_VKEY)
    assert verifier.vkey == SPEC_VKEY
    assert Note.from_text(SPEC_NOTE).verify([verifier]) == ["example.com/foo"]


def test_key_ids_are_sha256_of_name_newline_type_and_key() -> None:
    verifier = Verifier.from_vkey(GO_VKEY)
    name, public = b"PeterNeumann", verifier.public_key
    assert verifier.key_id == hashlib.sha256(name + b"\n\x01" + public).digest()[:4]
    assert verifier.key_id.hex() == "c74f20a3"
    witness = CosignatureVerifier.from_vkey(WITNESS_VKEY)
    assert witness.key_id.hex() == "da77ade7"
    assert witness.key_id == key_id("remora.n621.de", 0x04, witness.public_key)
    # the same key as a cosigner has another ID: the type byte separates the two uses
    as_cosigner = CosignatureVerifier(verifier.name, verifier.public_key)
    assert as_cosigner.key_id != verifier.key_id


def test_generated_keys_round_trip() -> None:
    signer = Signer.generate("sharewell.example/ledger")
    again = Signer.from_skey_text(signer.to_skey_text())
    assert again.public_key == signer.public_key
    assert again.key_id == signer.key_id
    assert Verifier.from_vkey(signer.vkey) == signer.verifier()
    cosigner = CosignatureSigner.generate("witness.example/w1")
    assert CosignatureSigner.from_skey_text(cosigner.to_skey_text()).key_id == cosigner.key_id
    assert CosignatureVerifier.from_vkey(cosigner.vkey) == cosigner.verifier()
    assert cosigner.to_skey_text().split("+")[4].startswith("B")  # 0x04 in base64


def test_verifier_from_vkey_dispatches_on_the_type_byte() -> None:
    assert isinstance(verifier_from_vkey(GO_VKEY), Verifier)
    assert isinstance(verifier_from_vkey(WITNESS_VKEY), CosignatureVerifier)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        (
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "hashes to c74f20a3",
        ),
        ("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20zz+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20a3+Ah==", "not canonical"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10", "not base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy", "not 32"),
        ("PeterNeumann+c74f20a3+Ag==", "no key material"),
        ("PeterNeumann+c74f20a3+AgAA", "signature type 0x02"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
        ("PeterNeumann", "8 hex digits"),
        (WITNESS_VKEY, "signature type 0x04, not 0x01"),
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str, message: str) -> None:
    with pytest.raises(NoteMalformed, match=message):
        Verifier.from_vkey(vkey)


def test_a_verifier_key_is_not_a_signer_key() -> None:
    with pytest.raises(NoteMalformed, match="PRIVATE\\+KEY") as caught:
        Signer.from_skey_text(GO_VKEY)
    assert caught.value.hint is not None
    with pytest.raises(NoteMalformed, match="signature type 0x01, not 0x04"):
        CosignatureSigner.from_skey_text(GO_SKEY)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "tab\u00a0nbsp", "nl\n", "nul\x00"])
def test_key_names_must_be_non_empty_without_spaces_or_plus(name: str) -> None:
    with pytest.raises(NoteMalformed, match="not a valid key name"):
        Signer.generate(name)


# --------------------------------------------------------------------------- notes


def test_text_is_separated_at_the_last_blank_line() -> None:
    signer = Signer.generate("example.com/log")
    note = Note.sign("first\n\nsecond\n", [signer])
    parsed = Note.from_text(note.to_text())
    assert parsed.text == "first\n\nsecond\n"
    assert parsed == note
    assert parsed.verify([signer.verifier()]) == ["example.com/log"]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("text\n— a AAAAAAA=\n", "no blank line"),
        ("text\n\n— a AAAAAAA=", "must each end in a newline"),
        ("text\n\n", "must each end in a newline"),
        ("text\n\n- a AAAAAAA=\n", "em dash"),
        ("text\n\n—a AAAAAAA=\n", "em dash"),
        ("text\n\n— a+b AAAAAAA=\n", "key name"),
        ("text\n\n—  AAAAAAA=\n", "key name"),
        ("text\n\n— a AAAAAAA\n", "not base64"),
        ("text\n\n— a AAAAAAB=\n", "not canonical"),
        ("text\n\n— a AAAAAAA= \n", "not base64"),
        ("text\n\n— a AAAA\n", "too short"),
        ("te\txt\n\n— a AAAAAAA=\n", "control character U\\+0009"),
        ("text\r\n\n— a AAAAAAA=\n", "control character U\\+000D"),
        ("text\n\n" + "— a AAAAAAA=\n" * 101, "101 signatures"),
    ],
)
def test_malformed_notes_are_refused(note: str, message: str) -> None:
    with pytest.raises(NoteMalformed, match=message):
        Note.from_text(note)


def test_notes_must_be_utf8() -> None:
    with pytest.raises(NoteMalformed, match="UTF-8"):
        Note.from_text(b"caf\xe9\n\n\xe2\x80\x94 a AAAAAAA=\n")


def test_a_hundred_signatures_are_accepted() -> None:
    signers = [Signer.generate(f"example.com/{i}") for i in range(100)]
    note = Note.from_text(Note.sign("text\n", signers).to_text())
    assert len(note.verify([s.verifier() for s in signers])) == 100


def test_unknown_signatures_are_ignored() -> None:
    log, stranger = Signer.generate("example.com/log"), Signer.generate("example.com/other")
    note = Note.sign("text\n", [stranger, log])
    assert note.verify([log.verifier()]) == ["example.com/log"]


def test_same_name_other_key_and_same_id_other_name_are_unknown() -> None:
    log = Signer.generate("example.com/log")
    impostor = Signer.generate("example.com/log")  # same name, another key
    note = Note.sign("text\n", [impostor])
    with pytest.raises(UnknownKey, match=f"example.com/log\\+{impostor.key_id.hex()}"):
        note.verify([log.verifier()])
    renamed = NoteSignature("example.com/renamed", log.key_id, log.sign(b"text\n"))
    with pytest.raises(UnknownKey):
        Note("text\n", (renamed,)).verify([log.verifier()])


def test_a_bad_signature_by_a_trusted_key_rejects_the_note() -> None:
    log, witness = Signer.generate("example.com/log"), Signer.generate("example.com/w")
    good = Note.sign("text\n", [log, witness])
    forged = Note(
        "text\n", (good.signatures[0], NoteSignature("example.com/w", witness.key_id, bytes(64)))
    )
    with pytest.raises(
        CheckpointSignatureInvalid, match=f"example.com/w \\(key {witness.key_id.hex()}\\)"
    ):
        forged.verify([log.verifier(), witness.verifier()])


def test_nothing_verifies_without_trusted_keys() -> None:
    with pytest.raises(UnknownKey, match="PeterNeumann\\+c74f20a3") as caught:
        Note.from_text(GO_NOTE).verify([])
    assert caught.value.hint is not None
    assert "Trusted keys: none" in caught.value.hint


def test_signing_needs_a_newline_terminated_clean_text() -> None:
    signer = Signer.generate("example.com/log")
    with pytest.raises(NoteMalformed, match="end in a newline"):
        Note.sign("text", [signer])
    with pytest.raises(NoteMalformed, match="control character"):
        Note.sign("te\x07xt\n", [signer])


line_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
)
note_texts = st.lists(line_text, min_size=1, max_size=5).map(lambda lines: "\n".join(lines) + "\n")
SIGNER = Signer.generate("example.com/prop")


@given(note_texts)
def test_notes_round_trip(text: str) -> None:
    note = Note.sign(text, [SIGNER])
    parsed = Note.from_text(note.to_text().encode())
    assert parsed == note
    assert parsed.verify([SIGNER.verifier()]) == ["example.com/prop"]


@given(note_texts, st.data())
def test_changing_any_byte_of_a_signed_note_is_detected(text: str, data: st.DataObject) -> None:
    encoded = bytearray(Note.sign(text, [SIGNER]).to_text().encode())
    position = data.draw(st.integers(0, len(encoded) - 1))
    encoded[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(LedgerError):
        Note.from_text(bytes(encoded)).verify([SIGNER.verifier()])


# --------------------------------------------------------------------------- cosignatures


def test_cosignature_v1_signs_header_time_and_body() -> None:
    cosigner = CosignatureSigner.generate("witness.example/w1", clock=lambda: 1679315147)
    note = Note.sign(CHECKPOINT_TEXT, [cosigner])
    (signature,) = note.signatures
    assert signature.key_id == key_id("witness.example/w1", 0x04, cosigner.public_key)
    assert len(signature.signature) == 72
    assert signature.signature[:8] == (1679315147).to_bytes(8, "big")
    assert cosignature_timestamp(signature.signature) == 1679315147
    message = b"cosignature/v1\ntime 1679315147\n" + CHECKPOINT_TEXT.encode()
    Ed25519PublicKey.from_public_bytes(cosigner.public_key).verify(signature.signature[8:], message)
    assert note.verify([cosigner.verifier()]) == ["witness.example/w1"]


def test_cosignature_timestamp_known_answer() -> None:
    signature = base64.b64decode(COSIGNATURE_1727964367)[4:]
    assert cosignature_timestamp(signature) == 1727964367


def test_a_witness_cosigns_a_log_signed_checkpoint() -> None:
    log = Signer.generate("example.com/log")
    witness = CosignatureSigner.generate("witness.example/w1", clock=lambda: 1700000000)
    signed = Note.from_text(Checkpoint.from_text(CHECKPOINT_TEXT).sign(log))
    cosigned = Note.from_text(signed.with_signatures([witness]).to_text())
    assert cosigned.verify([log.verifier(), witness.verifier()]) == [
        "example.com/log",
        "witness.example/w1",
    ]
    line = cosigned.signature_line_for(witness.verifier())
    assert line is not None
    assert line.startswith("— witness.example/w1 ")
    witness.verifier().verify_line(cosigned.text, line)
    with pytest.raises(UnknownKey):
        log.verifier().verify_line(cosigned.text, line)
    with pytest.raises(CheckpointSignatureInvalid):
        witness.verifier().verify_line(cosigned.text.replace("7", "8"), line)


def test_cosignature_and_note_signatures_do_not_cross_verify() -> None:
    """One Ed25519 key used both ways: each signature only verifies as its own type."""
    plain = Signer.generate("example.com/key")
    cosigner = CosignatureSigner(plain.name, plain.private_key)
    message = CHECKPOINT_TEXT.encode()
    assert not cosigner.verifier().verify(message, b"\0" * 8 + plain.sign(message))
    assert not plain.verifier().verify(message, cosigner.sign(message)[8:])
    assert not cosigner.verifier().verify(message, b"\xff" * 8 + bytes(64))  # time > 2^63 - 1


# --------------------------------------------------------------------------- checkpoints

checkpoints = st.builds(
    Checkpoint,
    origin=st.text(alphabet=string.ascii_letters + string.digits + "./-_", min_size=1, max_size=40),
    size=st.integers(0, 2**64 - 1),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(line_text, max_size=3).map(tuple),
)


@given(checkpoints)
def test_checkpoints_round_trip(checkpoint: Checkpoint) -> None:
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


def test_checkpoint_text_is_exact() -> None:
    checkpoint = Checkpoint("example.com/log", 0, EMPTY_ROOT, ("ext one",))
    assert checkpoint.to_text() == (
        "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example.com/log\n7\n", "at least 3 lines"),
        ("example.com/log\n7\nAAAA", "end in a newline"),
        ("\n7\n" + CHECKPOINT_TEXT.split("\n")[2] + "\n", "origin line is empty"),
        (CHECKPOINT_TEXT.replace("\n7\n", "\n07\n"), "no leading zeroes"),
        (CHECKPOINT_TEXT.replace("\n7\n", "\n+7\n"), "no leading zeroes"),
        (CHECKPOINT_TEXT.replace("\n7\n", "\n 7\n"), "no leading zeroes"),
        (CHECKPOINT_TEXT.replace("\n7\n", "\n\u0667\n"), "no leading zeroes"),  # Arabic-Indic 7
        (CHECKPOINT_TEXT.replace("\n7\n", "\n1_0\n"), "no leading zeroes"),
        (CHECKPOINT_TEXT.replace("\n7\n", "\n-1\n"), "no leading zeroes"),
        (CHECKPOINT_TEXT.replace("\n7\n", f"\n{2**64}\n"), "64 bits"),
        ("example.com/log\n7\nAAAA\n", "3 bytes, not 32"),
        ("example.com/log\n7\n" + "A" * 43 + "!\n", "not base64"),
        ("example.com/log\n7\n" + "A" * 42 + "B=\n", "not canonical"),
        (CHECKPOINT_TEXT + "\n", "line 4 is empty"),
        (CHECKPOINT_TEXT + "ext\n\n", "line 5 is empty"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, message: str) -> None:
    with pytest.raises(CheckpointMalformed, match=message):
        Checkpoint.from_text(text)


def test_signed_checkpoint_verifies_before_it_parses() -> None:
    log = Signer.generate("example.com/log")
    note_text = Checkpoint.from_text(CHECKPOINT_TEXT).sign(log)
    signed = SignedCheckpoint.from_text(note_text, [log.verifier()])
    assert (signed.size, signed.root_hash, signed.verified_by) == (7, ROOT, ("example.com/log",))
    assert signed.to_text() == note_text
    with pytest.raises(UnknownKey):
        SignedCheckpoint.from_text(note_text, [Signer.generate("example.com/log").verifier()])
    garbage = Note.sign("not a checkpoint\n", [log]).to_text()
    with pytest.raises(CheckpointMalformed):
        SignedCheckpoint.from_text(garbage, [log.verifier()])
    with pytest.raises(CheckpointSignatureInvalid):
        SignedCheckpoint.from_text(note_text.replace("\n7\n", "\n8\n"), [log.verifier()])
