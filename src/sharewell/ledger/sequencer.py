"""The sequencer: integrates new entries and signs a checkpoint twice a second while any arrive.

It runs beside the web app (a thread started with it) or on its own (`sharewell ledger
sequence`). Only one integration runs at a time whichever process tries, because
``integrate`` locks the integration row.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from sharewell.db import transaction
from sharewell.ledger import services as ledger
from sharewell.ledger.note import Signer

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 0.5  # signs within a second of any new entry


def integrate_once(engine: Engine, signer: Signer) -> int | None:
    """One integration in its own transaction; the new checkpoint's size, or None."""
    with transaction(engine) as session:
        checkpoint = ledger.integrate(session, signer)
        return None if checkpoint is None else checkpoint.size


class Sequencer:
    def __init__(
        self, engine: Engine, signer: Signer, *, interval: float = DEFAULT_INTERVAL_SECONDS
    ) -> None:
        self._engine = engine
        self._signer = signer
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                size = integrate_once(self._engine, self._signer)
                if size is not None:
                    log.info("signed a checkpoint at size %d", size)
            except Exception:  # a failed round is retried next interval; never kill the loop
                log.exception("ledger integration failed; retrying")
            self._stop.wait(self._interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="ledger-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
