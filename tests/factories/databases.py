"""Real databases for tests: SQLite by default, PostgreSQL with SHAREWELL_TEST_DATABASE."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sharewell import db
from sharewell.register.catalogue import load_catalogue

DATABASE = os.environ.get("SHAREWELL_TEST_DATABASE", "sqlite")
POSTGRES_HOST = os.environ.get("PGHOST", "127.0.0.1")
POSTGRES_PORT = os.environ.get("PGPORT", "5432")
POSTGRES_USER = os.environ.get("PGUSER", "postgres")


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """An empty database of the kind under test; dropped afterwards."""
    if DATABASE == "sqlite":
        yield f"sqlite:///{directory / 'sharewell.db'}"
        return
    if DATABASE != "postgresql":
        raise pytest.UsageError(
            f"SHAREWELL_TEST_DATABASE must be sqlite or postgresql, not {DATABASE}"
        )
    name = f"sharewell_test_{uuid.uuid4().hex[:12]}"
    admin = f"host={POSTGRES_HOST} port={POSTGRES_PORT} user={POSTGRES_USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_engine(url: str) -> Engine:
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        load_catalogue(session)
    return engine


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints of a transaction rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
