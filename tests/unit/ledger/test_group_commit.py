"""Group commit: concurrent writers each get a distinct, durable index."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine

from factories.databases import fresh_database, migrated_engine
from sharewell import db
from sharewell.ledger import services as ledger
from sharewell.ledger.errors import LedgerBusy
from sharewell.ledger.group_commit import GroupCommitter


@pytest.fixture
def own_engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(tmp_path) as url:
        engine = migrated_engine(url)
        yield engine
        engine.dispose()


def test_concurrent_writers_get_distinct_committed_indexes(own_engine: Engine) -> None:
    committer = GroupCommitter(own_engine, max_batch=50)
    entries = [f"writer entry {i}".encode() for i in range(400)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            indexes = list(pool.map(committer.append, entries))
    finally:
        committer.close()
    assert sorted(indexes) == list(range(400))
    with db.transaction(own_engine) as session:
        for index, entry in zip(indexes, entries, strict=True):
            assert ledger.get_entry(session, index) == entry


def test_a_full_queue_is_overload_not_a_wait(own_engine: Engine) -> None:
    committer = GroupCommitter(own_engine, max_queue=1, max_wait=0.5)

    def flood() -> None:
        for i in range(10_000):
            committer.submit(f"{i}".encode())

    try:
        with pytest.raises(LedgerBusy):
            flood()
    finally:
        committer.close()


def test_a_failed_batch_fails_every_waiter(own_engine: Engine) -> None:
    committer = GroupCommitter(own_engine)
    try:
        assert committer.append(b"fine") == 0
        bad = committer.submit(None)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            bad.result(timeout=10)
        assert committer.append(b"still fine") == 1  # the failed batch left no trace
    finally:
        committer.close()
