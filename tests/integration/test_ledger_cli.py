"""The ledger from the command line: the operator's commands and a citizen's offline checks."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import update

from factories import leaves
from sharewell import db
from sharewell.cli import run
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import canonical_json, new_trail_key, trail_key_document
from sharewell.ledger.models import LedgerEntry


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    assert run(["init"]) == 0
    return tmp_path / "home"


def public_key(capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run(["ledger", "public-key"]) == 0
    return capsys.readouterr().out.strip()


def append_decisions(database_url: str, keys: list[bytes | None]) -> None:
    engine = db.make_engine(database_url)
    with db.transaction(engine) as session:
        ledger.append(
            session,
            [leaves.decision(key, organisation="dwp", purpose="benefit-take-up") for key in keys],
        )
    engine.dispose()


def test_the_signing_key_is_private_and_its_verifier_key_is_standard(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = home / "keys" / "ledger.skey"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    vkey = public_key(capsys)
    name, key_id, _ = vkey.split("+", 2)
    assert name == "sharewell.example/ledger"
    assert len(key_id) == 8
    assert run(["init"]) == 0
    assert public_key(capsys) == vkey  # init never replaces the key


def test_export_verify_and_trail_scan(
    home: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine, theirs = new_trail_key(), new_trail_key()
    append_decisions(database_url, [mine, theirs, None, mine, theirs, mine] * 50)
    assert run(["ledger", "integrate"]) == 0
    vkey = public_key(capsys)
    exported = tmp_path / "log"
    assert run(["ledger", "export", str(exported)]) == 0
    assert run(["verify", "log", str(exported), "--key", vkey]) == 0
    assert "is intact: 300 entries" in capsys.readouterr().out

    key_file = tmp_path / "my-trail-key.json"
    key_file.write_text(trail_key_document([mine], log_origin="sharewell.example/ledger"))
    assert run(["verify", "trail", str(exported), "--key", str(key_file), "--log-key", vkey]) == 0
    assert "150 of 300 entries are about you" in capsys.readouterr().out

    (exported / "tile" / "entries" / "000").write_bytes(b"\x00\x01X")
    assert run(["verify", "log", str(exported), "--key", vkey]) != 0


def test_verify_trail_reads_every_key_and_reports_a_copied_mark(
    home: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = new_trail_key(), new_trail_key()
    append_decisions(database_url, [old, new, None])
    engine = db.make_engine(database_url)
    with db.transaction(engine) as session:
        mine, nobodys = (json.loads(ledger.get_entry(session, i)) for i in (0, 2))
        # An operator trying to pin someone else's entry on this person copies their mark.
        forged = canonical_json({**nobodys, "subject": mine["subject"]})
        ledger.append(session, [forged])
    engine.dispose()
    assert run(["ledger", "integrate"]) == 0
    exported = tmp_path / "log"
    assert run(["ledger", "export", str(exported)]) == 0
    key_file = tmp_path / "keys.json"
    key_file.write_text(trail_key_document([new, old], log_origin="sharewell.example/ledger"))
    capsys.readouterr()
    assert run(["verify", "trail", str(exported), "--key", str(key_file)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "2 of 4 entries are about you" in out
    assert "Entry 3 carries a copy of the mark on your entry 0" in out
    key_file.write_text(trail_key_document([new], log_origin="sharewell.example/ledger"))
    assert run(["verify", "trail", str(exported), "--key", str(key_file)]) == 0
    assert "1 of 4 entries are about you" in capsys.readouterr().out


def test_proofs_from_the_cli_verify_offline(
    home: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append_decisions(database_url, [None] * 10)
    assert run(["ledger", "integrate"]) == 0
    old = tmp_path / "old-checkpoint"
    capsys.readouterr()
    assert run(["ledger", "checkpoint"]) == 0
    old.write_text(capsys.readouterr().out)
    append_decisions(database_url, [None] * 25)
    assert run(["ledger", "integrate"]) == 0
    new = tmp_path / "new-checkpoint"
    capsys.readouterr()
    assert run(["ledger", "checkpoint"]) == 0
    new.write_text(capsys.readouterr().out)
    vkey = public_key(capsys)

    assert run(["verify", "checkpoint", str(new), "--key", vkey]) == 0
    capsys.readouterr()
    assert run(["ledger", "prove", "inclusion", "7"]) == 0
    bundle = tmp_path / "bundle.json"
    bundle.write_text(capsys.readouterr().out)
    assert run(["verify", "inclusion", str(bundle), "--key", vkey]) == 0
    assert "Entry 7 is in the log of 35 entries" in capsys.readouterr().out
    assert run(["ledger", "prove", "consistency", "10", "35"]) == 0
    proof = tmp_path / "proof.json"
    proof.write_text(capsys.readouterr().out)
    assert run(["verify", "consistency", str(old), str(new), str(proof), "--key", vkey]) == 0

    tampered = json.loads(bundle.read_text())
    tampered["index"] = 8
    bundle.write_text(json.dumps(tampered))
    assert run(["verify", "inclusion", str(bundle), "--key", vkey]) != 0
    assert run(["verify", "checkpoint", str(new), "--key", vkey.replace("+A", "+B", 1)]) != 0


def test_fsck_passes_then_fails_after_tampering(
    home: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    append_decisions(database_url, [None] * 40)
    assert run(["ledger", "integrate"]) == 0
    assert run(["ledger", "fsck"]) == 0
    assert "The ledger is consistent" in capsys.readouterr().out
    engine = db.make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(LedgerEntry).where(LedgerEntry.index == 3).values(data=b"x"))
    engine.dispose()
    assert run(["ledger", "fsck"]) != 0
    assert "entry 3 does not hash to its stored leaf hash" in capsys.readouterr().err


def test_key_rotation_keeps_the_history_verifiable(
    home: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    append_decisions(database_url, [None] * 5)
    assert run(["ledger", "integrate"]) == 0
    old_key = public_key(capsys)
    old = tmp_path / "old"
    assert run(["ledger", "checkpoint"]) == 0
    old.write_text(capsys.readouterr().out)

    assert run(["ledger", "rotate-key"]) == 0
    new_key = capsys.readouterr().out.strip().splitlines()[-1]
    assert new_key != old_key
    assert new_key.split("+")[0] == old_key.split("+")[0]  # same log, same origin
    assert list((home / "keys" / "retired").glob("ledger-*.skey"))

    append_decisions(database_url, [None] * 5)
    assert run(["ledger", "integrate"]) == 0
    new = tmp_path / "new"
    capsys.readouterr()
    assert run(["ledger", "checkpoint"]) == 0
    new.write_text(capsys.readouterr().out)
    assert run(["verify", "checkpoint", str(old), "--key", old_key]) == 0
    assert run(["verify", "checkpoint", str(new), "--key", new_key]) == 0
    assert run(["verify", "checkpoint", str(new), "--key", old_key]) != 0
