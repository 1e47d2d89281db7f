"""Full verifications of the stored log, run in the background for the auditor's pages.

A verification is ``fsck`` with every checkpoint's signature checked, in a thread of its own
with its own database session (a request's session never crosses threads). Jobs live in
memory on the app (``app.state``): one process serves the staff pages, and a finished
verification matters only until the next one. One runs at a time; asking for another while it
runs gives back the running one.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from sqlalchemy.orm import Session

from sharewell.config import Settings
from sharewell.errors import NotFound
from sharewell.ledger.errors import LedgerError
from sharewell.ledger.fsck import fsck
from sharewell.ledger.keys import keys_dir, load_signer
from sharewell.ledger.note import Signer, Verifier

KEPT_JOBS = 20
"""Finished verifications remembered for the list page; older ones are forgotten."""
PROGRESS_EVERY = 500
"""Entries between progress reports: often enough for a bar, rare enough to cost nothing."""


class State(StrEnum):
    RUNNING = "running"
    INTACT = "intact"
    FAILED = "failed"  # the log has problems
    ERROR = "error"  # the verification itself could not finish


@dataclass(frozen=True)
class Verification:
    """A snapshot of one verification: what it has checked so far and, once done, the result."""

    id: str
    started_by: str
    started_at: dt.datetime
    total: int
    state: State = State.RUNNING
    checked: int = 0
    finished_at: dt.datetime | None = None
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    signatures_checked: int = 0
    root_hash: bytes | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def running(self) -> bool:
        return self.state is State.RUNNING

    @property
    def percent(self) -> int:
        if self.total == 0:
            return 0 if self.running else 100
        return min(100, self.checked * 100 // self.total)


class VerificationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "There is no such verification.",
            hint="Verifications are kept until the server restarts; start a new one.",
        )


def trusted_verifiers(settings: Settings) -> tuple[Verifier, list[Verifier]]:
    """The log's current verifier key, and those of retired keys (they signed older
    checkpoints, which stay valid after a rotation)."""
    retired = sorted((keys_dir(settings) / "retired").glob("ledger-*.skey"))
    return load_signer(settings).verifier(), [_verifier_of(path) for path in retired]


def _verifier_of(path: Path) -> Verifier:
    return Signer.from_skey_text(path.read_text(encoding="ascii").strip()).verifier()


class Verifications:
    """The jobs of one app: thread-safe; each job's thread writes only its own snapshot."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        verifiers: Callable[[], tuple[Verifier, Sequence[Verifier]]],
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._sessions = sessions
        self._verifiers = verifiers
        self._now = now
        self._lock = threading.Lock()
        self._jobs: dict[str, Verification] = {}
        self._threads: dict[str, threading.Thread] = {}

    def start(self, started_by: str, total: int) -> Verification:
        """Start verifying the whole log (``total`` entries, as far as the caller knows), or
        give back the verification already running."""
        with self._lock:
            for job in self._jobs.values():
                if job.running:
                    return job
            job = Verification(
                id=secrets.token_urlsafe(12),
                started_by=started_by,
                started_at=self._now(),
                total=total,
            )
            self._jobs[job.id] = job
            self._forget_old()
            thread = threading.Thread(
                target=self._run, args=(job.id,), name=f"verification-{job.id}", daemon=True
            )
            self._threads[job.id] = thread
        thread.start()
        return job

    def get(self, job_id: str) -> Verification:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise VerificationNotFound()
        return job

    def all(self) -> list[Verification]:
        """Newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.started_at, reverse=True)

    def wait(self, job_id: str, timeout: float | None = None) -> Verification:
        """Block until the verification finishes (for the command line and tests)."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(job_id)

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            self._jobs[job_id] = replace(self._jobs[job_id], **changes)  # type: ignore[arg-type]

    def _advance(self, job_id: str, entries: int) -> None:
        with self._lock:
            job = self._jobs[job_id]
            self._jobs[job_id] = replace(job, checked=job.checked + entries)

    def _run(self, job_id: str) -> None:
        try:
            verifier, retired = self._verifiers()
            # Its own session, only reading: closing it rolls its transaction back.
            with self._sessions() as session:

                def progress(entries: int) -> None:
                    self._advance(job_id, entries)
                    # End the read between batches: on SQLite every transaction holds the one
                    # write lock, and the log's other users must not wait for a whole pass.
                    # Nothing checked so far can change (entries and nodes are written once).
                    session.rollback()

                report = fsck(
                    session,
                    verifier,
                    progress=progress,
                    progress_every=PROGRESS_EVERY,
                    every_signature=True,
                    also_trusted=retired,
                )
        except LedgerError as error:
            self._update(
                job_id, state=State.ERROR, problems=(error.message,), finished_at=self._now()
            )
        except Exception as error:  # the page must say it stopped, not spin forever
            self._update(
                job_id,
                state=State.ERROR,
                problems=(f"the verification stopped: {type(error).__name__}: {error}",),
                finished_at=self._now(),
            )
        else:
            self._update(
                job_id,
                state=State.INTACT if report.clean else State.FAILED,
                checked=report.entries,
                total=max(report.entries, self.get(job_id).total),
                nodes_checked=report.nodes_checked,
                checkpoints_checked=report.checkpoints_checked,
                signatures_checked=report.signatures_checked,
                root_hash=report.root_hash,
                problems=tuple(report.problems),
                finished_at=self._now(),
            )
        finally:
            with self._lock:
                self._threads.pop(job_id, None)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if not j.running]
        finished.sort(key=lambda j: j.started_at)
        for job in finished[: max(0, len(finished) - KEPT_JOBS)]:
            del self._jobs[job.id]


_REGISTRY_LOCK = threading.Lock()


def registry(state: object, settings: Settings, sessions: Callable[[], Session]) -> Verifications:
    """The app's verifications (``app.state.verifications``), made on first use."""
    with _REGISTRY_LOCK:
        found = getattr(state, "verifications", None)
        if not isinstance(found, Verifications):
            found = Verifications(sessions, lambda: trusted_verifiers(settings))
            state.verifications = found  # type: ignore[attr-defined]
        return found
