"""Sharewell's exported logs verify with an implementation nobody at sharewell wrote.

`tools/tlog-verify` uses only the Go project's golang.org/x/mod/sumdb/note (signed notes) and
sumdb/tlog (RFC 6962 trees, tiles, inclusion and consistency proofs), built from Debian's
packages. It must accept Tessera's real log (so we know the tool itself is right), accept
every log sharewell exports, and reject them once tampered with.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from factories.databases import fresh_database, migrated_engine
from sharewell import db
from sharewell.ledger import publish
from sharewell.ledger import services as ledger
from sharewell.ledger.note import Signer

ROOT = Path(__file__).resolve().parents[2]
TESSERA = ROOT.parent / "shared" / "conformance" / "tessera-testdata-log"
TESSERA_KEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
GOPATH = Path("/usr/share/gocode")


@pytest.fixture(scope="module")
def tlog_verify(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    assert go is not None, "Go is missing: `make test` installs Debian's golang-go"
    assert (GOPATH / "src/golang.org/x/mod/sumdb/tlog").exists(), (
        "golang.org/x/mod is missing: `make test` installs Debian's golang-golang-x-mod-dev"
    )
    binary = tmp_path_factory.mktemp("go") / "tlog-verify"
    environment = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(binary.parent / "cache"),
        "GOFLAGS": "",
    }
    subprocess.run(
        [go, "build", "-o", str(binary), "."],
        cwd=ROOT / "tools" / "tlog-verify",
        env=environment,
        check=True,
        capture_output=True,
    )
    return binary


def verify(
    tool: Path, key: str, directory: Path, old: Path | None = None
) -> subprocess.CompletedProcess[str]:
    arguments = [str(tool), "-vkey", key] + (["-old", str(old)] if old else []) + [str(directory)]
    return subprocess.run(arguments, capture_output=True, text=True, timeout=120, check=False)


def test_the_tool_accepts_tesseras_log(tlog_verify: Path, tmp_path: Path) -> None:
    if not TESSERA.exists():
        pytest.skip(f"Tessera's test log is not at {TESSERA}")
    result = verify(tlog_verify, TESSERA_KEY, TESSERA, old=TESSERA / "checkpoint.7")
    assert result.returncode == 0, result.stderr
    assert "15 entries" in result.stdout


SIGNER = Signer.generate("sharewell.example/conformance")


@pytest.fixture(scope="module")
def exported_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A sharewell log over three tile levels, exported after an older checkpoint was kept."""
    directory = tmp_path_factory.mktemp("export")
    with fresh_database(directory) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            ledger.append(session, [f"entry {i}".encode() * (i % 7 + 1) for i in range(300)])
            ledger.integrate(session, SIGNER)
            old_checkpoint = directory / "old-checkpoint"
            old_checkpoint.write_text(publish.latest_checkpoint_text(session), encoding="utf-8")
        with db.transaction(engine) as session:
            ledger.append(session, [f"later {i}".encode() for i in range(66_000)])
            ledger.integrate(session, SIGNER)
            publish.export_log(session, directory / "log")
        engine.dispose()
        yield directory / "log", old_checkpoint


@pytest.fixture
def exported(exported_once: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy each test may tamper with."""
    directory, old = exported_once
    shutil.copytree(directory, tmp_path / "log")
    return tmp_path / "log", old


def test_sharewells_export_verifies_independently(
    tlog_verify: Path, exported: tuple[Path, Path]
) -> None:
    directory, old = exported
    result = verify(tlog_verify, SIGNER.vkey, directory, old=old)
    assert result.returncode == 0, result.stderr
    assert "66300 entries" in result.stdout


@pytest.mark.parametrize(
    "target",
    [
        "checkpoint",
        "tile/0/000",
        "tile/1/000",
        "tile/2/000.p/1",
        "tile/entries/000",
        "tile/entries/258.p/252",
    ],
)
def test_any_changed_byte_is_caught(
    tlog_verify: Path, exported: tuple[Path, Path], target: str
) -> None:
    directory, _ = exported
    path = directory / target
    data = bytearray(path.read_bytes())
    position = len(data) // 2 if target != "checkpoint" else data.index(b"\n") + 3
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify(tlog_verify, SIGNER.vkey, directory)
    assert result.returncode == 1
    assert result.stderr.startswith("FAIL:")


def test_a_checkpoint_by_another_key_is_refused(
    tlog_verify: Path, exported: tuple[Path, Path]
) -> None:
    directory, _ = exported
    other = Signer.generate("sharewell.example/conformance")
    result = verify(tlog_verify, other.vkey, directory)
    assert result.returncode == 1
