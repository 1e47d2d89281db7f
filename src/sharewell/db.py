"""Engine, sessions and migrations, for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, Engine, MetaData, TypeDecorator, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from sharewell.config import Settings
from sharewell.errors import Busy

# Named constraints let errors be matched on names, never on a driver's message text.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 5000, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        event.listen(
            engine,
            "connect",
            lambda connection, _record: _tune_sqlite(connection, sqlite_busy_timeout_ms),
        )
        writer = _SqliteWriterTurn(sqlite_busy_timeout_ms / 1000)
        event.listen(engine, "begin", writer.begin)
        event.listen(engine, "commit", writer.end)
        event.listen(engine, "rollback", writer.end)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    # Python's sqlite3 driver opens transactions on its own and breaks SAVEPOINTs; take over
    # (SQLAlchemy's documented recipe) so nested transactions roll back exactly.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is on disk before it returns, so an acknowledged decision and its ledger
    # entry survive a power cut, not just a crashed process (group commit amortises the fsync).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


class _SqliteWriterTurn:
    """Threads of this process take turns at SQLite's one write lock here, before asking SQLite.

    Every transaction begins IMMEDIATE: it takes the write lock when it begins, so one that
    read first never fails to upgrade ("database is locked") after another writer committed.
    SQLite's own busy handler makes a waiter sleep in growing steps (up to 100 ms) and try
    again; a lock here wakes the next thread the moment the last one commits, which keeps
    the tail latency of concurrent requests near their queueing time. Other processes (the
    CLI) still wait at SQLite's lock as before.
    """

    def __init__(self, timeout_seconds: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout_seconds
        self._holder: Any = None

    def begin(self, connection: Any) -> None:
        if not self._lock.acquire(timeout=self._timeout):
            raise Busy("The database is busy: another writer held it too long.", retry_after=1)
        self._holder = connection
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(connection)
            raise

    def end(self, connection: Any) -> None:
        if self._holder is connection:
            self._holder = None
            self._lock.release()


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware time, stored in UTC; SQLite's naive values come back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times stored must be timezone-aware")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits if the block finishes, rolls everything back if it raises."""
    with session_factory(engine)() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def engine_for(settings: Settings) -> Engine:
    if settings.is_sqlite:
        settings.home.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.database_url)
