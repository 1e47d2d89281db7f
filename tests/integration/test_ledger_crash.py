"""Kill -9 a ledger writer mid-append, again and again: no acknowledged entry is ever lost,
and fsck finds the tree consistent after every restart."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from factories.databases import migrated_engine
from sharewell import db
from sharewell.ledger import services as ledger
from sharewell.ledger.fsck import fsck
from sharewell.ledger.note import Signer

WRITER = Path(__file__).with_name("ledger_writer.py")
ROUNDS = 5


def run_and_kill(url: str, key_file: Path, seed: int, after: float) -> list[tuple[int, str]]:
    acknowledged: list[tuple[int, str]] = []
    with subprocess.Popen(
        [sys.executable, str(WRITER), url, str(key_file), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as writer:
        output = writer.stdout
        assert output is not None

        def read() -> None:
            for line in output:
                if line.endswith("\n"):  # a line cut by the kill was never acknowledged whole
                    index, data = line.rstrip("\n").split("\t")
                    acknowledged.append((int(index), data))

        reader = threading.Thread(target=read)
        reader.start()
        # Kill only once the writer is working (it may start slowly on a busy machine), at a
        # random moment after that.
        deadline = time.monotonic() + 60
        while not acknowledged and time.monotonic() < deadline and writer.poll() is None:
            time.sleep(0.05)
        time.sleep(after)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=30)
        reader.join(timeout=30)
    return acknowledged


def test_sigkill_never_loses_an_acknowledged_entry(tmp_path: Path, database_url: str) -> None:
    signer = Signer.generate("crash.example/ledger")
    key_file = tmp_path / "ledger.skey"
    key_file.write_text(signer.to_skey_text(), encoding="ascii")
    engine = migrated_engine(database_url)
    rng = random.Random(20261125)
    acknowledged: list[tuple[int, str]] = []
    try:
        for round_number in range(ROUNDS):
            acknowledged += run_and_kill(
                database_url, key_file, round_number, after=rng.uniform(1.0, 2.0)
            )
            with db.transaction(engine) as session:
                report = fsck(session, signer.verifier())
                # The kill may land before the first checkpoint; every other check must pass.
                problems = [p for p in report.problems if "no signed checkpoint" not in p]
                assert problems == [], f"after kill {round_number + 1}: {problems}"
                for index, data in acknowledged:
                    assert ledger.get_entry(session, index) == data.encode()
        assert len(acknowledged) > ROUNDS, "the writer never got going; the test proved nothing"
        with db.transaction(engine) as session:
            ledger.integrate(session, signer)
        with db.transaction(engine) as session:
            assert fsck(session, signer.verifier()).problems == []
            assert ledger.sequenced_size(session) >= max(i for i, _ in acknowledged) + 1
    finally:
        engine.dispose()
