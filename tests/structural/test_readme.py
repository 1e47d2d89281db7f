"""The README's command examples run, in order, on a fresh database, so they cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from sharewell.cli import run

ROOT = Path(__file__).parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL)
    return [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]


def test_readme_has_examples() -> None:
    assert len(readme_commands()) >= 5


def test_readme_examples_run(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.chdir(ROOT)
    for command in readme_commands():
        # The examples write under var/ (the default SHAREWELL_HOME); keep the test's own.
        program, *arguments = shlex.split(command.replace("var/", f"{tmp_path}/home/"))
        assert program == "sharewell"
        assert run(arguments) == 0, f"README example failed: {command}"


def test_every_docs_path_the_software_names_exists() -> None:
    """Help texts and messages point people to docs/...: each must be there to read."""
    root = Path(__file__).parents[2]
    named = {
        match
        for source in (root / "src" / "sharewell").rglob("*.py")
        for match in re.findall(r"docs/[\w./-]*\w", source.read_text(encoding="utf-8"))
    }
    assert "docs/auditor.md" in named  # the search finds what it should
    missing = sorted(p for p in named if not (root / p).exists())
    assert missing == [], f"named but missing: {missing}"
