"""`sharewell verify` – the command a user runs – accepts Tessera's real log and rejects it
with any byte changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sharewell.cli import run

TESSERA = (
    Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / ("tessera-testdata-log")
)
KEY = "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"


@pytest.fixture
def tessera(tmp_path: Path) -> Path:
    if not TESSERA.exists():
        pytest.skip(f"Tessera's test log is not at {TESSERA}")
    copy = tmp_path / "log"
    shutil.copytree(TESSERA, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


def test_verify_log_accepts_tesseras_log(tessera: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["verify", "log", str(tessera), "--key", KEY]) == 0
    assert "is intact: 15 entries" in capsys.readouterr().out
    assert run(["verify", "checkpoint", str(tessera / "checkpoint.9"), "--key", KEY]) == 0


@pytest.mark.parametrize("target", ["checkpoint", "tile/0/000.p/15", "tile/entries/000.p/15"])
def test_verify_log_rejects_any_changed_byte(
    tessera: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tessera / target
    original = path.read_bytes()
    for position in range(0, len(original), max(1, len(original) // 12)):
        data = bytearray(original)
        data[position] ^= 0x40
        path.write_bytes(bytes(data))
        assert run(["verify", "log", str(tessera), "--key", KEY]) != 0, (
            f"a changed byte at {target}:{position} was not noticed"
        )
    path.write_bytes(original)
    assert run(["verify", "log", str(tessera), "--key", KEY]) == 0
    capsys.readouterr()


def test_verify_log_refuses_an_unknown_key(
    tessera: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "example.com/log/testdata+00000000+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"
    assert run(["verify", "log", str(tessera), "--key", other]) != 0
    assert "Error:" in capsys.readouterr().err
