"""`sharewell clients add | list | revoke` on a fresh database of the kind under test."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factories.api_clients import organisation, raw_public_key
from sharewell import db
from sharewell.broker import client_auth
from sharewell.cli import run


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        organisation(session, "northbridge")
    engine.dispose()
    return tmp_path / "home"


def pem_file(directory: Path, private_key: Ed25519PrivateKey) -> Path:
    path = directory / "client.pub.pem"
    path.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def test_add_list_revoke(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = Ed25519PrivateKey.generate()
    args = ["clients", "add", "--organisation", "northbridge", "--name", "Housing system"]
    assert run([*args, "--public-key", str(pem_file(tmp_path, key))]) == 0
    out, err = capsys.readouterr()
    key_id = client_auth.key_id_for("northbridge", raw_public_key(key))
    assert out == f"{key_id}\n"  # only the key id on standard output, for scripts
    assert "Registered 'Housing system' for northbridge" in err

    other = Ed25519PrivateKey.generate()
    encoded = base64.b64encode(raw_public_key(other)).decode()
    assert run([*args[:-1], "Second", "--public-key", encoded]) == 0
    second_id = capsys.readouterr().out.strip()

    assert run(["clients", "list", "--organisation", "northbridge"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing
    assert second_id in listing
    assert listing.count("active") == 2

    assert run(["clients", "revoke", key_id]) == 0
    assert f"Revoked {key_id}" in capsys.readouterr().out
    assert run(["clients", "revoke", key_id]) == 0
    assert "already revoked" in capsys.readouterr().out
    assert run(["clients", "list"]) == 0
    rows = {line.split()[1]: line for line in capsys.readouterr().out.splitlines() if "│" in line}
    assert " revoked " in rows[key_id]
    assert " active " in rows[second_id]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--organisation", "northbridge", "--public-key", "bm90IGEga2V5"], 65, "is 9 bytes"),
        (["--organisation", "atlantis", "--public-key", "KEY"], 66, "no organisation"),
        (["--organisation", "northbridge", "--public-key", "KEY"], 75, "already registered"),
    ],
)
def test_add_refuses_bad_keys_unknown_organisations_and_reused_keys(
    home: Path, argv: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    encoded = base64.b64encode(raw_public_key(Ed25519PrivateKey.generate())).decode()
    argv = [encoded if arg == "KEY" else arg for arg in argv]
    if code == 75:
        assert run(["clients", "add", "--name", "First", *argv]) == 0
        capsys.readouterr()
    assert run(["clients", "add", "--name", "Housing system", *argv]) == code
    assert message in capsys.readouterr().err


def test_revoking_an_unknown_key_exits_66(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["clients", "revoke", "northbridge.nosuchkey"]) == 66
    assert "There is no API client with key id 'northbridge.nosuchkey'" in capsys.readouterr().err
