"""The domains' edges (DESIGN.md, "Layout"): each domain owns its tables, other domains get plain
data from its services, and the request's unit of work commits once, not the view."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from sharewell.web.deps import unit_of_work
from structural.test_routes import api_routes

PACKAGE = Path(__file__).parents[2] / "src" / "sharewell"
DOMAINS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
VIEW_MODULES = ("views.py", "api.py")


def _imported_modules(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _domain_sources() -> Iterator[tuple[str, Path]]:
    for domain in DOMAINS:
        if domain == "migrations":  # migrations describe every table, by design
            continue
        for source in (PACKAGE / domain).rglob("*.py"):
            yield domain, source


def test_no_domain_imports_another_domains_tables() -> None:
    crossings = sorted(
        f"{source.relative_to(PACKAGE)} imports {module}"
        for domain, source in _domain_sources()
        for module in _imported_modules(ast.parse(source.read_text(encoding="utf-8")))
        if module.startswith("sharewell.")
        and module.split(".")[-1] == "models"
        and module.split(".")[1] != domain
    )
    assert crossings == []


def test_the_scan_sees_a_crossing_when_there_is_one() -> None:
    tree = ast.parse(
        "from sharewell.register.models import Organisation\nimport sharewell.x.models"
    )
    assert {"sharewell.register.models", "sharewell.x.models"} <= set(_imported_modules(tree))


def _commits(tree: ast.AST) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
    ]


def test_no_view_commits() -> None:
    views = [source for _, source in _domain_sources() if source.name.endswith(VIEW_MODULES)]
    assert len(views) > 10  # the scan reaches the views
    committing = {
        str(source.relative_to(PACKAGE)): lines
        for source in views
        if (lines := _commits(ast.parse(source.read_text(encoding="utf-8"))))
    }
    assert committing == {}, "views leave committing to the request's unit of work"
    assert _commits(ast.parse("session.commit()")) == [1]


def test_every_route_shares_the_one_unit_of_work_that_commits_before_the_response(
    client: TestClient,
) -> None:
    """FastAPI ends a yield dependency after the response unless its scope is "function"."""
    scopes = set()
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        stack = [route.dependant]
        while stack:
            dependant = stack.pop()
            if dependant.call is unit_of_work:
                scopes.add(dependant.scope)
            stack.extend(dependant.dependencies)
    assert scopes == {"function"}
