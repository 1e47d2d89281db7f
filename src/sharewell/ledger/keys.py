"""The log's signing key and the witnesses it trusts, kept under $SHAREWELL_HOME/keys."""

from __future__ import annotations

import os
from pathlib import Path

from sharewell.config import Settings
from sharewell.ledger.errors import LedgerError
from sharewell.ledger.note import CosignatureVerifier, Signer

DEFAULT_ORIGIN = "sharewell.example/ledger"
ORIGIN_ENV = "SHAREWELL_LOG_ORIGIN"


def keys_dir(settings: Settings) -> Path:
    return settings.home / "keys"


def signing_key_path(settings: Settings) -> Path:
    return keys_dir(settings) / "ledger.skey"


def witnesses_path(settings: Settings) -> Path:
    return keys_dir(settings) / "witnesses"


def ensure_signing_key(settings: Settings) -> tuple[Signer, bool]:
    """The log's Ed25519 signing key, created (mode 0600) on first use. Returns (key, created)."""
    path = signing_key_path(settings)
    if path.exists():
        return load_signer(settings), False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signer = Signer.generate(os.environ.get(ORIGIN_ENV, DEFAULT_ORIGIN))
    _write_private_key(path, signer)
    return signer, True


def _write_private_key(path: Path, signer: Signer) -> None:
    """Create the key file readable by its owner only; never overwrite one."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(signer.to_skey_text() + "\n")


def load_signer(settings: Settings) -> Signer:
    path = signing_key_path(settings)
    try:
        return Signer.from_skey_text(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        raise LedgerError(
            f"The ledger has no signing key at {path}.",
            hint="Run `sharewell init` to create one.",
        ) from None


def load_witnesses(settings: Settings) -> list[CosignatureVerifier]:
    """Witness verifier keys, one per line; blank lines and # comments are ignored."""
    path = witnesses_path(settings)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        CosignatureVerifier.from_vkey(line.strip())
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    ]


def rotate_signing_key(settings: Settings) -> tuple[Signer, Path]:
    """Retire the current key (kept, for the record) and create a new one for the same origin.

    Checkpoints already signed stay verifiable with the retired key's verifier key; from now
    on the sequencer signs with the new one. Returns the new key and where the old one went.
    """
    current = load_signer(settings)
    retired = keys_dir(settings) / "retired" / f"ledger-{current.key_id.hex()}.skey"
    retired.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signing_key_path(settings).rename(retired)
    replacement = Signer.generate(current.name)
    _write_private_key(signing_key_path(settings), replacement)
    return replacement, retired
