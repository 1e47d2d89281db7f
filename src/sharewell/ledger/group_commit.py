"""Group commit: many concurrent writers, one transaction per batch, each acknowledged durably.

A writer hands its entry to ``submit`` and blocks until the transaction holding it has
committed; it then has its index. One thread collects whatever has arrived (up to
``max_batch``, waiting at most ``max_wait`` for more) and appends it in one transaction, so a
thousand writers cost a handful of commits instead of a thousand. A batch is appended in
random order, so entries that arrive together (several requests' decisions) are mixed.
"""

from __future__ import annotations

import queue
import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import Engine

from sharewell.db import transaction
from sharewell.ledger import services as ledger
from sharewell.ledger.errors import LedgerBusy


@dataclass
class _Pending:
    entry: bytes
    result: Future[int]


class GroupCommitter:
    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = 1_000,
        max_wait: float = 0.002,
        max_queue: int = 100_000,
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._max_wait = max_wait
        self._queue: queue.Queue[_Pending | None] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="ledger-group-commit", daemon=True)
        self._thread.start()

    def submit(self, entry: bytes) -> Future[int]:
        """Queue an entry; the future resolves to its index once committed (or to an error).

        A full queue is overload: ``LedgerBusy`` at once, rather than an unbounded wait.
        """
        pending = _Pending(entry, Future())
        try:
            self._queue.put_nowait(pending)
        except queue.Full:
            raise LedgerBusy(retry_after=1) from None
        return pending.result

    def append(self, entry: bytes, *, timeout: float = 30.0) -> int:
        return self.submit(entry).result(timeout=timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            closing = False
            try:
                while len(batch) < self._max_batch:
                    item = self._queue.get(timeout=self._max_wait)
                    if item is None:
                        closing = True
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            self._commit(batch)
            if closing:
                return

    def _commit(self, batch: list[_Pending]) -> None:
        # Shuffled, so that entries from writers who arrived together are mixed in the log.
        secrets.SystemRandom().shuffle(batch)
        try:
            with transaction(self._engine) as session:
                indexes = ledger.append(session, [p.entry for p in batch])
        except Exception as error:  # every waiter learns of the failure; none is acknowledged
            for pending in batch:
                pending.result.set_exception(error)
            return
        for pending, index in zip(batch, indexes, strict=True):
            pending.result.set_result(index)
