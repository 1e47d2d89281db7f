"""Real databases for every test: SQLite by default, PostgreSQL with SHAREWELL_TEST_DATABASE.

One database per test session, built by the real migrations; each test runs inside a
transaction that is rolled back, so tests never see each other's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from factories.databases import DATABASE, fresh_database, migrated_engine, rolled_back


def pytest_report_header() -> str:
    return f"sharewell test database: {DATABASE}"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        engine = migrated_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints of a transaction rolled back after the test."""
    with rolled_back(engine) as session:
        yield session


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database for tests that need their own (CLI runs, web apps)."""
    with fresh_database(tmp_path) as url:
        yield url
