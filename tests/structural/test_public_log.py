"""The public log's records (DESIGN.md, "The public log's records"): one typed, allow-listed
record per entry kind, and every writer going through them."""

from __future__ import annotations

import ast
import types
import typing
from enum import Enum
from pathlib import Path

from pydantic.fields import FieldInfo

from sharewell.ledger.records import RECORDS, EntryKind

PACKAGE = Path(__file__).parents[2] / "src" / "sharewell"
# What a leaf may be built from, below ``append_leaves``: only the ledger itself touches them.
LOW_LEVEL = {"append", "encode_group", "encode_leaf", "canonical_json"}


def test_every_kind_has_a_public_record_and_a_sealed_one_if_it_is_about_someone() -> None:
    assert set(RECORDS) == set(EntryKind)
    for kind, (public, sealed) in RECORDS.items():
        assert public.model_config.get("extra") == "forbid", kind
        if sealed is not None:
            assert sealed.model_config.get("extra") == "forbid", kind
    assert RECORDS[EntryKind.AGREEMENT][1] is None  # about no one: nothing to seal
    assert RECORDS[EntryKind.DECISION][1] is not None
    assert RECORDS[EntryKind.CONSENT][1] is not None


def _allowed(annotation: object, metadata: list[object]) -> bool:
    """A code from a closed vocabulary, an id or time held to a pattern, None, or a tuple or
    union of those: never a bare string, number or mapping."""
    if annotation is type(None):
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    if annotation is str:
        return any(getattr(m, "pattern", None) for m in metadata)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(annotation)
        return _allowed(inner, [*metadata, *extra])
    if origin is tuple:
        item, ellipsis = typing.get_args(annotation)
        return ellipsis is Ellipsis and _allowed(item, [])
    if origin in (typing.Union, types.UnionType):
        return all(_allowed(arm, metadata) for arm in typing.get_args(annotation))
    return False


def _fields(model: type) -> dict[str, FieldInfo]:
    return dict(model.model_fields)  # type: ignore[attr-defined]


def test_every_field_of_every_record_is_a_code_an_id_or_a_time() -> None:
    loose = [
        f"{model.__name__}.{name}: {info.annotation}"
        for public, sealed in RECORDS.values()
        for model in (public, sealed)
        if model is not None
        for name, info in _fields(model).items()
        if not _allowed(info.annotation, list(info.metadata))
    ]
    assert loose == []


def test_the_check_refuses_free_text() -> None:
    assert not _allowed(str, [])
    assert not _allowed(str | None, [])
    assert not _allowed(dict[str, str], [])
    assert not _allowed(tuple[str, ...], [])


def _calls(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
                if function.value.id == "ledger":  # ``ledger.append(...)``
                    names.add(function.attr)
            elif isinstance(function, ast.Name):
                names.add(function.id)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "sharewell.ledger"
        ):
            names.update(alias.name for alias in node.names)
    return names


def test_every_writer_outside_the_ledger_goes_through_its_records() -> None:
    bypasses = sorted(
        f"{source.relative_to(PACKAGE)} uses {name}"
        for source in PACKAGE.rglob("*.py")
        if source.parent.name != "ledger"
        for name in _calls(ast.parse(source.read_text(encoding="utf-8"))) & LOW_LEVEL
    )
    assert bypasses == []
    writers = [
        source.relative_to(PACKAGE).as_posix()
        for source in PACKAGE.rglob("*.py")
        if "append_leaves" in _calls(ast.parse(source.read_text(encoding="utf-8")))
    ]
    assert set(writers) >= {
        "broker/services.py",
        "consent/services.py",
        "register/services.py",
    }


def test_the_scan_sees_a_bypass_when_there_is_one() -> None:
    tree = ast.parse("from sharewell.ledger.entries import encode_leaf\nledger.append(s, [b'x'])")
    assert {"encode_leaf", "append"} <= _calls(tree)
