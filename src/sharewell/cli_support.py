"""What every command shares: consoles, the database, and how errors become exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sharewell import db
from sharewell.config import load_settings
from sharewell.errors import (
    Busy,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SharewellError,
)

console = Console(soft_wrap=True)  # long messages wrap in the terminal, not mid-word here
errors = Console(stderr=True, soft_wrap=True)

# sysexits-style codes so scripts can tell bad input from a refusal.
EXIT_CODES: list[tuple[type[SharewellError], int]] = [
    (InvalidInput, 65),
    (NotFound, 66),
    (PermissionDenied, 77),
    (Conflict, 75),
    (Busy, 75),  # EX_TEMPFAIL: try again later
    (SharewellError, 1),
]


def open_engine() -> Engine:
    """The configured database, migrated to the newest schema."""
    engine = db.engine_for(load_settings())
    db.upgrade(engine)
    return engine


@contextmanager
def unit_of_work() -> Iterator[Session]:
    engine = open_engine()
    try:
        with db.transaction(engine) as session:
            yield session
    finally:
        engine.dispose()
