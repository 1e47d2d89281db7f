"""Benchmark: the transparency ledger on SQLite and PostgreSQL.

Prints, and writes to benchmarks/results/ledger.json:
- durable appends/s with one writer (a commit per entry) and with concurrent writers through
  group commit (each writer blocks until its entry's transaction has committed);
- seconds from an append to a signed checkpoint that covers it (the sequencer running);
- inclusion- and consistency-proof time from storage at 10^5, 10^6 and 10^7 entries;
- trail-scan entries/s; peak memory (RSS) of the whole run.

    python benchmarks/ledger.py                                  # both databases, up to 10^7
    python benchmarks/ledger.py --databases sqlite --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine

from sharewell import db
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import EntryKind, encode_entry, new_trail_key, scan_trail
from sharewell.ledger.group_commit import GroupCommitter
from sharewell.ledger.note import Signer
from sharewell.ledger.sequencer import Sequencer
from sharewell.register.catalogue import load_catalogue

RESULTS = Path(__file__).resolve().parent / "results" / "ledger.json"
SIGNER = Signer.generate("bench.example/ledger")
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def database(kind: str, directory: Path) -> Iterator[Engine]:
    if kind == "sqlite":
        engine = db.make_engine(f"sqlite:///{directory / 'bench.db'}")
        db.upgrade(engine)
        yield engine
        engine.dispose()
        return
    name = f"sharewell_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    engine = db.make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        db.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def decision(key: bytes | None = None) -> bytes:
    return encode_entry(
        EntryKind.DECISION,
        time=dt.datetime.now(dt.UTC),
        organisation="northbridge",
        subject_key=key,
        purpose="free-school-meals",
        gateways=["consent-route"],
        fields=["first_name", "last_name", "dob"],
        outcome="permit",
    )


def timed(action: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def one_writer(engine: Engine, count: int) -> float:
    entry = decision()
    start = time.perf_counter()
    for _ in range(count):
        with db.transaction(engine) as session:
            ledger.append(session, [entry])
    return count / (time.perf_counter() - start)


def batched(engine: Engine, transactions: int, size: int) -> float:
    """One writer appending a batch per transaction (a campaign's batch request)."""
    entries = [decision()] * size
    start = time.perf_counter()
    for _ in range(transactions):
        with db.transaction(engine) as session:
            ledger.append(session, entries)
    return transactions * size / (time.perf_counter() - start)


def group_commit(engine: Engine, writers: int, per_writer: int) -> float:
    committer = GroupCommitter(engine, max_batch=2_000, max_wait=0.002)
    entry = decision()

    def write(_: int) -> None:
        for _ in range(per_writer):
            committer.append(entry)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(write, range(writers)))
    elapsed = time.perf_counter() - start
    committer.close()
    return writers * per_writer / elapsed


def time_to_checkpoint(engine: Engine, samples: int) -> list[float]:
    sequencer = Sequencer(engine, SIGNER)
    sequencer.start()
    latencies = []
    try:
        for _ in range(samples):
            time.sleep(random.uniform(0.05, 0.6))  # land anywhere in the sequencer's cycle
            with db.transaction(engine) as session:
                (index,) = ledger.append(session, [decision()])
            start = time.perf_counter()
            while True:
                with db.transaction(engine) as session:
                    latest = ledger.latest_checkpoint(session)
                    if latest is not None and latest.size > index:
                        break
                time.sleep(0.005)
            latencies.append(time.perf_counter() - start)
    finally:
        sequencer.stop()
    return latencies


def grow(engine: Engine, target: int) -> float:
    """Append (in big batches) and integrate up to ``target`` entries; returns seconds."""
    start = time.perf_counter()
    with db.transaction(engine) as session:
        size = ledger.sequenced_size(session)
    padding = b"x" * 80
    while size < target:
        batch = min(50_000, target - size)
        with db.transaction(engine) as session:
            ledger.append(session, [b"%d " % i + padding for i in range(size, size + batch)])
        size += batch
    with db.transaction(engine) as session:
        ledger.integrate(session, SIGNER)
    return time.perf_counter() - start


def proof_times(engine: Engine, size: int, repeat: int = 200) -> dict[str, float]:
    rng = random.Random(size)
    with db.transaction(engine) as session:
        inclusion = timed(
            lambda: ledger.inclusion_proof(session, rng.randrange(size), size), repeat
        )
        consistency = timed(
            lambda: ledger.consistency_proof(session, rng.randrange(1, size), size), repeat
        )
    return {
        "inclusion_ms_p50": statistics.median(inclusion) * 1000,
        "inclusion_ms_p99": sorted(inclusion)[int(repeat * 0.99) - 1] * 1000,
        "consistency_ms_p50": statistics.median(consistency) * 1000,
        "consistency_ms_p99": sorted(consistency)[int(repeat * 0.99) - 1] * 1000,
    }


def trail_scan(entries: int) -> float:
    mine = new_trail_key()
    log = [(i, decision(mine if i % 50 == 0 else new_trail_key())) for i in range(entries)]
    start = time.perf_counter()
    found = sum(1 for _ in scan_trail(log, mine))
    elapsed = time.perf_counter() - start
    assert found == (entries + 49) // 50
    return entries / elapsed


def run(kind: str, sizes: list[int]) -> dict[str, Any]:
    result: dict[str, Any] = {"database": kind}
    with (
        tempfile.TemporaryDirectory(prefix="sharewell-ledger-bench-") as tmp,
        database(kind, Path(tmp)) as engine,
    ):
        with db.transaction(engine) as session:
            load_catalogue(session)
        result["durable_appends_per_s_one_writer"] = one_writer(engine, 2_000)
        result["durable_appends_per_s_one_writer_batches_of_1000"] = batched(engine, 50, 1_000)
        for writers in (16, 256):
            result[f"durable_appends_per_s_group_commit_{writers}_writers"] = group_commit(
                engine, writers, 40_000 // writers
            )
        with db.transaction(engine) as session:
            ledger.integrate(session, SIGNER)  # catch up, as a running sequencer would have
        latencies = time_to_checkpoint(engine, 20)
        result["seconds_to_covering_checkpoint_p50"] = statistics.median(latencies)
        result["seconds_to_covering_checkpoint_max"] = max(latencies)
    result["proofs"] = {}
    # Proof timings on a log grown to exactly each size, in a database of its own.
    with (
        tempfile.TemporaryDirectory(prefix="sharewell-ledger-bench-") as tmp,
        database(kind, Path(tmp)) as engine,
    ):
        for size in sizes:
            seconds = grow(engine, size)
            result["proofs"][str(size)] = {
                "seconds_to_load_and_integrate": seconds,
                **proof_times(engine, size),
            }
            print(f"  {kind} {size:>10,} entries: {result['proofs'][str(size)]}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    arguments, _ = parser.parse_known_args()
    sizes = [int(s) for s in arguments.sizes.split(",")]
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "trail_scan_entries_per_s": trail_scan(100_000),
        "runs": [],
    }
    print(f"trail scan: {report['trail_scan_entries_per_s']:,.0f} entries/s", flush=True)
    for kind in arguments.databases.split(","):
        print(f"== {kind} ==", flush=True)
        outcome = run(kind, sizes)
        report["runs"].append(outcome)
        for key, value in outcome.items():
            if key != "proofs":
                print(f"  {key}: {value:,.3f}" if isinstance(value, float) else f"  {key}: {value}")
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {report['peak_rss_mib']:.0f} MiB")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
