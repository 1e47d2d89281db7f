"""Loading a body's CSV extract into one of its datasets: all rows, or none.

Each row is checked against the dataset's declared fields. A bad file is reported by row,
column and problem, and the import writes nothing. An import is a snapshot: it replaces the
dataset's previous rows in the same transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import CursorResult, delete, insert, select
from sqlalchemy.orm import Session, selectinload

from sharewell.register.errors import DatasetNotFound, RegisterInputInvalid
from sharewell.register.models import Dataset, DatasetField, DatasetImport, DatasetRecord
from sharewell.register.schemas import RECORD_KEY_FIELD
from sharewell.register.vocabulary import FieldType

BATCH_ROWS = 5_000
MAX_PROBLEMS = 50
MAX_TEXT = 500

NINO = re.compile(r"^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
UPRN = re.compile(r"^[0-9]{1,12}$")
MONEY = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0"}


class ValueProblem(ValueError):
    """A cell that does not fit its field's type; the message says what was expected."""


@dataclass(frozen=True)
class ImportResult:
    dataset: str
    rows: int
    replaced: int
    sha256: str


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueProblem(f"is longer than {MAX_TEXT} characters")
    return value


def _nino(value: str) -> str:
    normalised = value.replace(" ", "").upper()
    if not NINO.match(normalised):
        raise ValueProblem(
            f"'{value}' is not a National Insurance number "
            "(two letters, six digits and A, B, C or D, like AB123456C)"
        )
    return normalised


def _date(value: str) -> str:
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueProblem(f"'{value}' is not a date written YYYY-MM-DD") from None


def _postcode(value: str) -> str:
    match = POSTCODE.match(" ".join(value.upper().split()))
    if not match:
        raise ValueProblem(f"'{value}' is not a UK postcode (like SW1A 1AA)")
    return f"{match.group(1)} {match.group(2)}"


def _money(value: str) -> str:
    cleaned = value.removeprefix("£").replace(",", "")
    if not MONEY.match(cleaned):
        raise ValueProblem(f"'{value}' is not an amount of money (like 123.45, not negative)")
    return str(Decimal(cleaned).quantize(Decimal("0.01")))


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueProblem(f"'{value}' is not a whole number") from None


def _boolean(value: str) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueProblem(f"'{value}' is not true or false")


def _uprn(value: str) -> str:
    if not UPRN.match(value):
        raise ValueProblem(f"'{value}' is not a UPRN (1 to 12 digits)")
    return value


PARSERS: dict[FieldType, Callable[[str], Any]] = {
    FieldType.STRING: _text,
    FieldType.NINO: _nino,
    FieldType.DATE: _date,
    FieldType.POSTCODE: _postcode,
    FieldType.MONEY: _money,
    FieldType.INTEGER: _integer,
    FieldType.BOOLEAN: _boolean,
    FieldType.UPRN: _uprn,
}


def parse_value(field: DatasetField, raw: str) -> Any:
    value = raw.strip()
    if not value:
        if field.required:
            raise ValueProblem("is empty but this field is required")
        return None
    try:
        return PARSERS[FieldType(field.type)](value)
    except (ValueProblem, InvalidOperation) as problem:
        raise ValueProblem(str(problem)) from None


def find_dataset(session: Session, organisation_id: str, dataset_key: str) -> Dataset:
    dataset = session.scalar(
        select(Dataset)
        .where(Dataset.organisation_id == organisation_id, Dataset.key == dataset_key)
        .options(selectinload(Dataset.fields))
    )
    if dataset is None:
        raise DatasetNotFound(organisation_id, dataset_key)
    return dataset


@dataclass(frozen=True)
class LastImport:
    """The newest file loaded into a dataset: its name, SHA-256 and how many rows it had."""

    filename: str
    sha256: str
    rows: int


def last_import(session: Session, organisation_id: str, dataset_key: str) -> LastImport | None:
    dataset = find_dataset(session, organisation_id, dataset_key)
    last = session.scalar(
        select(DatasetImport)
        .where(DatasetImport.dataset_id == dataset.id)
        .order_by(DatasetImport.id.desc())
        .limit(1)
    )
    return None if last is None else LastImport(last.filename, last.sha256, last.rows)


def import_dataset_csv(
    session: Session,
    organisation_id: str,
    dataset_key: str,
    path: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Replace a dataset's rows with a CSV file's, after checking every row; all or nothing."""
    dataset = find_dataset(session, organisation_id, dataset_key)
    label = f"{path.name}"
    with path.open("rb") as handle:
        return _import(session, dataset, handle, label, progress)


def _import(
    session: Session,
    dataset: Dataset,
    handle: BinaryIO,
    label: str,
    progress: Callable[[int], None] | None,
) -> ImportResult:
    digest = hashlib.sha256()
    text = io.TextIOWrapper(
        io.BufferedReader(_Hashing(handle, digest)), encoding="utf-8-sig", newline=""
    )
    reader = csv.reader(text)
    problems: list[str] = []
    try:
        header = next(reader, None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise RegisterInputInvalid(
            f"{label} cannot be read as a UTF-8 CSV file: {error}."
        ) from None
    if header is None:
        raise RegisterInputInvalid(f"{label} is empty; it needs a header row and data rows.")
    fields = _check_header(dataset, [h.strip() for h in header], label)

    nino_fields = [f.name for f in fields if f.type == FieldType.NINO]
    rows = 0
    stopped_early = False
    seen_keys: set[str] = set()
    with session.begin_nested() as savepoint:
        removed = session.execute(
            delete(DatasetRecord).where(DatasetRecord.dataset_id == dataset.id)
        )
        replaced = cast("CursorResult[Any]", removed).rowcount
        record = DatasetImport(dataset_id=dataset.id, filename=label, sha256="", rows=0)
        session.add(record)
        session.flush()
        pending: list[dict[str, Any]] = []
        try:
            for line_number, values in _rows(reader):
                if len(problems) >= MAX_PROBLEMS:
                    stopped_early = True
                    break
                rows += 1
                data = _check_row(fields, values, line_number, problems)
                if data is None or problems:
                    continue
                key = str(data[RECORD_KEY_FIELD])
                if key in seen_keys:
                    problems.append(
                        f"row {line_number}, column {RECORD_KEY_FIELD}: '{key}' appears more "
                        "than once; each row needs its own record_id"
                    )
                    continue
                seen_keys.add(key)
                pending.append(
                    {
                        "dataset_id": dataset.id,
                        "record_id": key,
                        "import_id": record.id,
                        "data": data,
                        "nino": next((data[f] for f in nino_fields if data.get(f)), None),
                    }
                )
                if len(pending) >= BATCH_ROWS:
                    session.execute(insert(DatasetRecord), pending)
                    pending.clear()
                if progress is not None and rows % BATCH_ROWS == 0:
                    progress(BATCH_ROWS)
        except (UnicodeDecodeError, csv.Error) as error:
            problems.append(f"after row {rows + 1}: the file cannot be read as CSV: {error}")
        if rows == 0 and not problems:
            problems.append("there are no data rows under the header")
        if problems:
            savepoint.rollback()
        else:
            if pending:
                session.execute(insert(DatasetRecord), pending)
            record.rows = rows
            record.sha256 = digest.hexdigest()
            session.flush()
    if problems:
        more = f" (stopped after the first {MAX_PROBLEMS})" if stopped_early else ""
        raise RegisterInputInvalid(
            f"{label}: {len(problems)} problem{'s' if len(problems) > 1 else ''} found{more}; "
            f"nothing was imported into {dataset.organisation_id}/{dataset.key}.",
            problems=problems,
            hint="Correct the rows named and import the whole file again.",
        )
    return ImportResult(
        dataset=f"{dataset.organisation_id}/{dataset.key}",
        rows=rows,
        replaced=replaced,
        sha256=digest.hexdigest(),
    )


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # Row 1 is the header, so the first data row is row 2 — as a spreadsheet shows it.
    for number, values in enumerate(reader, start=2):
        if values and any(v.strip() for v in values):
            yield number, values


def _check_header(dataset: Dataset, header: list[str], label: str) -> list[DatasetField]:
    by_name = {f.name: f for f in dataset.fields}
    problems = [
        f"column '{name}' is not a field of {dataset.organisation_id}/{dataset.key}"
        for name in header
        if name not in by_name
    ]
    problems += [
        f"column '{name}' appears more than once"
        for name in sorted(set(header))
        if header.count(name) > 1
    ]
    problems += [
        f"required column '{f.name}' is missing"
        for f in dataset.fields
        if f.required and f.name not in header
    ]
    if RECORD_KEY_FIELD not in header:
        problems.append(f"column '{RECORD_KEY_FIELD}' is missing; every row needs its key")
    if problems:
        raise RegisterInputInvalid(
            f"{label}: the header row does not match the dataset; nothing was imported.",
            problems=problems,
            hint=f"Expected columns: {', '.join(f.name for f in dataset.fields)}.",
        )
    return [by_name[name] for name in header]


def _check_row(
    fields: list[DatasetField], values: list[str], line_number: int, problems: list[str]
) -> dict[str, Any] | None:
    if len(values) != len(fields):
        problems.append(
            f"row {line_number}: has {len(values)} values but the header has {len(fields)} columns"
        )
        return None
    data: dict[str, Any] = {}
    ok = True
    for field, raw in zip(fields, values, strict=True):
        try:
            data[field.name] = parse_value(field, raw)
        except ValueProblem as problem:
            problems.append(f"row {line_number}, column {field.name}: {problem}")
            ok = False
    if ok and data.get(RECORD_KEY_FIELD) is None:
        problems.append(f"row {line_number}, column {RECORD_KEY_FIELD}: is empty")
        return None
    return data if ok else None


class _Hashing(io.RawIOBase):
    """Reads through to the file while hashing every byte, so the digest costs no second pass."""

    def __init__(self, inner: BinaryIO, digest: Any) -> None:
        self._inner = inner
        self._digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        self._digest.update(data)
        buffer[: len(data)] = data
        return len(data)
