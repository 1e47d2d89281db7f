"""The `sharewell` command as a user runs it, on a fresh database of the kind under test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from factories.register import agreement_yaml
from sharewell import db
from sharewell.cli import run
from sharewell.consent.models import ConsentRecord
from sharewell.register.models import Agreement, DatasetRecord


@pytest.fixture
def home(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "home"


def count(database_url: str, model: type) -> int:
    engine = db.make_engine(database_url)
    try:
        with db.transaction(engine) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


def test_init_twice_is_harmless(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["init"]) == 0
    assert "27 gateways" in capsys.readouterr().out
    assert run(["init"]) == 0
    assert "0 gateways and 0 benefit rules updated" in capsys.readouterr().out


def test_demo_seed_twice_neither_fails_nor_duplicates(
    home: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["demo", "seed", "--people", "300", "--seed", "7"]) == 0
    records = count(database_url, DatasetRecord)
    agreements = count(database_url, Agreement)
    consents = count(database_url, ConsentRecord)
    assert records > 0
    assert agreements == 5
    assert consents > 0  # some parents have agreed, so a first request can be permitted
    assert "who have not been asked" in capsys.readouterr().out
    assert run(["demo", "seed", "--people", "300", "--seed", "7"]) == 0
    assert count(database_url, DatasetRecord) == records
    assert count(database_url, Agreement) == agreements
    assert count(database_url, ConsentRecord) == consents
    assert (home / "borough" / "people-300-seed-7" / "ground-truth.csv").exists()


def test_bad_yaml_exits_65_and_writes_nothing(
    home: Path, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["demo", "seed", "--people", "50", "--no-load"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(agreement_yaml(gateways=["not-a-law"]), encoding="utf-8")
    before = count(database_url, Agreement)
    assert run(["register", "import", str(bad)]) == 65
    error = capsys.readouterr().err
    assert "gateway 'not-a-law' is not in the catalogue" in error
    assert "nothing was imported" in error
    assert count(database_url, Agreement) == before


def test_missing_file_is_a_clear_error(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["register", "import", "/no/such/file.yaml"]) == 65
    assert "/no/such/file.yaml does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("sharewell: " + "[" * 900 + "]" * 900 + "\n", "nests more than 64 levels deep"),
        (agreement_yaml() + "discloser: southmere\n", "appears twice in one mapping (lines"),
    ],
)
def test_yaml_too_deep_or_with_a_repeated_key_is_refused_clearly(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, says: str
) -> None:
    assert run(["init"]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    assert run(["register", "validate", str(bad)]) == 65
    error = capsys.readouterr().err
    assert says in error
    assert "Traceback" not in error


def test_validate_checks_without_writing(home: Path, database_url: str, tmp_path: Path) -> None:
    assert run(["demo", "seed", "--people", "50", "--no-load"]) == 0
    good = tmp_path / "good.yaml"
    good.write_text(agreement_yaml(), encoding="utf-8")
    before = count(database_url, Agreement)
    assert run(["register", "validate", str(good)]) == 0
    assert count(database_url, Agreement) == before


def test_lifecycle_from_the_command_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["demo", "seed", "--people", "50", "--no-load"]) == 0
    agreement = "northbridge-fsm-auto-enrolment"
    assert (
        run(["register", "status", agreement, "active", "--by", "officer@northbridge.example"])
        == 77
    )
    assert "only a data protection officer" in capsys.readouterr().err
    assert (
        run(["register", "status", agreement, "suspended", "--by", "dpo@northbridge.example"]) == 75
    )
    assert run(["register", "status", agreement, "active", "--by", "nobody@x.example"]) == 66


def test_copy_between_councils_and_between_installations(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["demo", "seed", "--people", "50", "--no-load"]) == 0
    assert (
        run(
            [
                "register",
                "copy",
                "northbridge-hb-fsm-consent",
                "--into",
                "southmere",
                "--recipient",
                "southmere-schools",
                "--by",
                "dpo@southmere.example",
            ]
        )
        == 0
    )
    assert (
        run(
            [
                "register",
                "status",
                "southmere-hb-fsm-consent",
                "active",
                "--by",
                "dpo@southmere.example",
            ]
        )
        == 0
    )
    capsys.readouterr()
    exported = tmp_path / "register.yaml"
    assert run(["register", "export", "--output", str(exported)]) == 0
    text = exported.read_text(encoding="utf-8")
    assert "derived_from: northbridge-hb-fsm-consent" in text

    # Another installation (a fresh SQLite file) imports the whole register and exports it
    # byte for byte the same.
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    assert run(["init"]) == 0
    assert run(["register", "import", str(exported)]) == 0
    capsys.readouterr()
    assert run(["register", "export"]) == 0
    assert capsys.readouterr().out == text


def test_dataset_import_reports_the_row(
    home: Path, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["demo", "seed", "--people", "50", "--no-load"]) == 0
    bad = tmp_path / "hb.csv"
    bad.write_text("record_id,claim_ref,dob\nH1,C1,1950-02-30\n", encoding="utf-8")
    assert run(["dataset", "import", "northbridge/housing-benefit-claims", str(bad)]) == 65
    assert "row 2, column dob: '1950-02-30' is not a date" in capsys.readouterr().err
    assert count(database_url, DatasetRecord) == 0
    assert run(["dataset", "import", "northbridge", str(bad)]) == 65


def test_export_of_one_organisation(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["demo", "seed", "--people", "50", "--no-load"]) == 0
    capsys.readouterr()
    assert run(["register", "export", "--organisation", "dwp"]) == 0
    out = capsys.readouterr().out
    assert "id: dwp-northbridge-welfare-services" in out
    assert "id: northbridge-hb-fsm-consent" not in out
    assert run(["register", "export", "--organisation", "atlantis"]) == 66


def test_schema_command_prints_json_schema(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert run(["register", "schema", "agreement"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["properties"]["sharewell"]["const"] == "agreement/v1"
