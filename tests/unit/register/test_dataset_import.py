"""CSV import: every row checked against the dataset's fields; a bad file imports nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories.register import load_demo_register
from sharewell.register.dataset_import import find_dataset, import_dataset_csv
from sharewell.register.errors import DatasetNotFound, RegisterInputInvalid
from sharewell.register.models import DatasetImport, DatasetRecord

HEADER = "record_id,account_ref,nino,first_name,last_name,dob,postcode,pensioner,weekly_income\n"
GOOD_ROWS = (
    "C1,CT-1,AB123456C,Ada,Lovelace,1950-12-10,nb1 4qx,true,120.50\n"
    'C2,CT-2,,Alan,Turing,,NB2 7AA,false,"£1,204"\n'
)


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    return session


def write(tmp_path: Path, text: str, name: str = "ctr.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def records(session: Session) -> dict[str, dict[str, object]]:
    dataset = find_dataset(session, "northbridge", "council-tax-reduction-claims")
    return {
        r.record_id: r.data
        for r in session.scalars(
            select(DatasetRecord).where(DatasetRecord.dataset_id == dataset.id)
        )
    }


def load(session: Session, path: Path) -> None:
    import_dataset_csv(session, "northbridge", "council-tax-reduction-claims", path)


def test_a_good_file_loads_normalised_values(register: Session, tmp_path: Path) -> None:
    result = import_dataset_csv(
        register, "northbridge", "council-tax-reduction-claims", write(tmp_path, HEADER + GOOD_ROWS)
    )
    assert (result.rows, result.replaced) == (2, 0)
    loaded = records(register)
    assert loaded["C1"]["postcode"] == "NB1 4QX"
    assert loaded["C1"]["pensioner"] is True
    assert loaded["C1"]["weekly_income"] == "120.50"
    assert loaded["C2"]["nino"] is None
    assert loaded["C2"]["dob"] is None
    assert loaded["C2"]["weekly_income"] == "1204.00"
    (batch,) = register.scalars(select(DatasetImport)).all()
    assert batch.rows == 2
    assert batch.sha256 == result.sha256


def test_a_new_extract_replaces_the_old_one(register: Session, tmp_path: Path) -> None:
    load(register, write(tmp_path, HEADER + GOOD_ROWS))
    result = import_dataset_csv(
        register,
        "northbridge",
        "council-tax-reduction-claims",
        write(tmp_path, HEADER + "C3,CT-3,,Grace,Hopper,1906-12-09,NB3 1AB,true,90\n", "new.csv"),
    )
    assert result.replaced == 2
    assert set(records(register)) == {"C3"}


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (
            "C3,CT-3,AB12345,Bad,Nino,1950-01-01,NB1 1AA,true,1\n",
            "row 4, column nino: 'AB12345' is not a National Insurance number",
        ),
        (
            "C3,CT-3,,Bad,Date,1950-13-01,NB1 1AA,true,1\n",
            "row 4, column dob: '1950-13-01' is not a date written YYYY-MM-DD",
        ),
        (
            "C3,CT-3,,Bad,Postcode,,NOT A CODE,true,1\n",
            "row 4, column postcode: 'NOT A CODE' is not a UK postcode",
        ),
        (
            "C3,CT-3,,Bad,Money,,NB1 1AA,true,-5\n",
            "row 4, column weekly_income: '-5' is not an amount of money",
        ),
        (
            "C3,CT-3,,Bad,Bool,,NB1 1AA,perhaps,1\n",
            "row 4, column pensioner: 'perhaps' is not true or false",
        ),
        (
            "C3,,,No,Ref,,NB1 1AA,true,1\n",
            "row 4, column account_ref: is empty but this field is required",
        ),
        (
            "C1,CT-9,,Same,Key,,NB1 1AA,true,1\n",
            "row 4, column record_id: 'C1' appears more than once",
        ),
        ("C3,CT-3,,Too,Few\n", "row 4: has 5 values but the header has 9 columns"),
    ],
)
def test_a_bad_row_is_named_and_nothing_changes(
    register: Session, tmp_path: Path, bad_row: str, expected: str
) -> None:
    load(register, write(tmp_path, HEADER + GOOD_ROWS, "first.csv"))
    before = records(register)
    with pytest.raises(RegisterInputInvalid) as caught:
        load(register, write(tmp_path, HEADER + GOOD_ROWS + bad_row))
    assert expected in caught.value.diagnostics()
    assert "nothing was imported into northbridge/council-tax-reduction-claims" in (
        caught.value.message
    )
    assert records(register) == before
    assert len(register.scalars(select(DatasetImport)).all()) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("record_id,account_ref,shoe_size\n", "column 'shoe_size' is not a field of"),
        ("record_id,nino\n", "required column 'account_ref' is missing"),
        ("account_ref,nino\n", "column 'record_id' is missing"),
        ("record_id,account_ref,nino,nino\n", "column 'nino' appears more than once"),
    ],
)
def test_a_bad_header_is_explained(
    register: Session, tmp_path: Path, header: str, expected: str
) -> None:
    with pytest.raises(RegisterInputInvalid) as caught:
        load(register, write(tmp_path, header + "x,y,z\n"))
    assert expected in caught.value.diagnostics()
    assert "Expected columns: record_id, account_ref" in caught.value.diagnostics()
    assert records(register) == {}


def test_empty_and_header_only_files(register: Session, tmp_path: Path) -> None:
    with pytest.raises(RegisterInputInvalid, match="is empty"):
        load(register, write(tmp_path, ""))
    with pytest.raises(RegisterInputInvalid) as caught:
        load(register, write(tmp_path, HEADER))
    assert "there are no data rows" in caught.value.diagnostics()


def test_a_file_that_is_not_utf8(register: Session, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "C1,CT-1,,Zoë,Brontë,,NB1 1AA,true,1\n").encode("latin-1"))
    with pytest.raises(RegisterInputInvalid) as caught:
        load(register, path)
    assert "cannot be read" in caught.value.diagnostics()
    assert "utf-8" in caught.value.diagnostics().lower()
    assert records(register) == {}


def test_an_excel_bom_is_accepted(register: Session, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + HEADER + GOOD_ROWS).encode("utf-8"))
    load(register, path)
    assert set(records(register)) == {"C1", "C2"}


def test_unknown_dataset(register: Session, tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFound, match="northbridge has no dataset 'parking-fines'"):
        import_dataset_csv(register, "northbridge", "parking-fines", write(tmp_path, HEADER))


def test_many_problems_are_capped(register: Session, tmp_path: Path) -> None:
    rows = "".join(f"C{i},CT-{i},BAD,A,B,,NB1 1AA,true,1\n" for i in range(200))
    with pytest.raises(RegisterInputInvalid) as caught:
        load(register, write(tmp_path, HEADER + rows))
    assert len(caught.value.problems) == 50
    assert "stopped after the first 50" in caught.value.message
