"""Benchmark: the transparency ledger on SQLite and PostgreSQL.

Prints, and writes to benchmarks/results/ledger.json:
- durable appends/s with one writer (a commit per entry) and with concurrent writers through
  group commit (each writer blocks until its entry's transaction has committed);
- seconds from an append to a signed checkpoint that covers it (the sequencer running);
- inclusion- and consistency-proof time from storage at 10^5, 10^6 and 10^7 entries;
- trail-scan entries/s; peak memory (RSS) of the whole run;
- the leaf format's cost, version 2 (sealed, padded, bound commitments) beside version 1 (all
  in the clear) in the same run: bytes per leaf, leaves written per decision for a mix of
  request sizes (padding to a power of two), encodings/s, and durably acknowledged decisions/s
  for one-person requests (a transaction each) and for 59-person requests.

    python benchmarks/ledger.py                                  # both databases, up to 10^7
    python benchmarks/ledger.py --databases sqlite --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import hmac
import json
import platform
import random
import resource
import secrets
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
from sharewell.ledger.entries import (
    Leaf,
    canonical_json,
    encode_group,
    leaves_written_for,
    new_trail_key,
    scan_trail,
)
from sharewell.ledger.group_commit import GroupCommitter
from sharewell.ledger.note import Signer
from sharewell.ledger.records import DecisionPublic, DecisionSealed, RequesterKind, exact_time
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


FIELDS = ("housing-benefit-claims.first_name", "housing-benefit-claims.dob")


def decision_leaf(key: bytes | None = None) -> Leaf:
    """A decision as the broker writes it (format v2)."""
    now = dt.datetime.now(dt.UTC)
    public = DecisionPublic(
        organisation="northbridge-schools",
        purpose="free-school-meals",
        agreement="northbridge-hb-fsm-consent",
        gateways=("consent-route",),
    )
    if key is None:
        return Leaf(public=public, time=now)
    sealed = DecisionSealed(
        time=exact_time(now),
        outcome="permit",
        discloser="northbridge",
        released=FIELDS,
        refused=(),
        reasons=("gateway_applies", "consent_given"),
        requested_by=RequesterKind.STAFF,
    )
    return Leaf(public=public, time=now, sealed=sealed, subject_key=key)


def decision(key: bytes | None = None) -> bytes:
    return encode_group([decision_leaf(key or new_trail_key())]).entries[0]


def decision_v1(key: bytes) -> bytes:
    """The same decision in format v1, as it was written before (everything in the clear, the
    commitment HMAC(key, nonce) only), kept here to measure the new format against it."""
    nonce = secrets.token_bytes(16)
    return canonical_json(
        {
            "format": "sharewell-entry/v1",
            "kind": "decision",
            "time": exact_time(dt.datetime.now(dt.UTC)),
            "organisation": "northbridge-schools",
            "purpose": "free-school-meals",
            "gateways": ["consent-route"],
            "fields": list(FIELDS),
            "outcome": "permit",
            "details": {
                "agreement": "northbridge-hb-fsm-consent",
                "discloser": "northbridge",
                "refused_fields": [],
                "reasons": ["gateway_applies", "consent_given"],
                "requested_by": "staff",
            },
            "subject": {
                "nonce": base64.b64encode(nonce).decode(),
                "commitment": base64.b64encode(
                    hmac.new(key, nonce, hashlib.sha256).digest()
                ).decode(),
            },
        }
    )


def request_leaves(size: int, version: int) -> list[bytes]:
    """One request about ``size`` people, as each format writes it."""
    keys = [new_trail_key() for _ in range(size)]
    if version == 1:
        return [decision_v1(key) for key in keys]
    return encode_group([decision_leaf(key) for key in keys]).entries


def request_size_mix(rng: random.Random, requests: int) -> list[int]:
    """Mostly one-person checks, some small lists, a few campaign lists."""
    sizes = []
    for _ in range(requests):
        draw = rng.random()
        if draw < 0.7:
            sizes.append(1)
        elif draw < 0.9:
            sizes.append(rng.randint(2, 20))
        else:
            sizes.append(rng.randint(21, 1_000))
    return sizes


def format_costs() -> dict[str, Any]:
    """Bytes, leaves and encoding speed of each format, on the same decisions."""
    costs: dict[str, Any] = {}
    for version in (1, 2):
        one = request_leaves(1, version)
        start = time.perf_counter()
        encoded = sum(len(request_leaves(59, version)) for _ in range(50))
        per_s = 50 * 59 / (time.perf_counter() - start)
        costs[f"v{version}"] = {
            "bytes_per_leaf": len(one[0]),
            "leaves_for_59_decisions": encoded // 50,
            "decisions_encoded_per_s": per_s,
        }
    sizes = request_size_mix(random.Random(7), 2_000)
    written = sum(leaves_written_for(n) for n in sizes)
    costs["v2"]["leaves_per_decision_mixed_sizes"] = written / sum(sizes)
    costs["v2"]["mix"] = "2,000 requests: 70% one person, 20% 2-20, 10% 21-1,000"
    costs["v2_bytes_per_decision_mixed_sizes_vs_v1"] = (
        costs["v2"]["bytes_per_leaf"] * written / sum(sizes) / costs["v1"]["bytes_per_leaf"]
    )
    return costs


def acknowledged_decisions(engine: Engine, version: int, size: int, requests: int) -> float:
    """Decisions/s durably acknowledged: each request encoded and appended in a transaction
    of its own (one commit per request, not per decision)."""
    start = time.perf_counter()
    for _ in range(requests):
        leaves = request_leaves(size, version)
        with db.transaction(engine) as session:
            ledger.append(session, leaves)
    return requests * size / (time.perf_counter() - start)


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
    found = sum(1 for _ in scan_trail(log, [mine]))
    elapsed = time.perf_counter() - start
    assert found == (entries + 49) // 50
    return entries / elapsed


def trail_scan_v1(entries: int) -> float:
    """Format v1's scan (one HMAC per leaf), for comparison."""
    mine = new_trail_key()
    log = [(i, decision_v1(mine if i % 50 == 0 else new_trail_key())) for i in range(entries)]
    start = time.perf_counter()
    found = sum(1 for _ in scan_trail(log, [mine]))
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
        for version in (1, 2):
            result[f"format_v{version}_decisions_acknowledged_per_s_one_person_requests"] = (
                acknowledged_decisions(engine, version, 1, 1_000)
            )
            result[f"format_v{version}_decisions_acknowledged_per_s_59_person_requests"] = (
                acknowledged_decisions(engine, version, 59, 50)
            )
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
        "trail_scan_entries_per_s_format_v1": trail_scan_v1(100_000),
        "leaf_format": format_costs(),
        "runs": [],
    }
    print(
        f"trail scan: {report['trail_scan_entries_per_s']:,.0f} entries/s "
        f"(format v1: {report['trail_scan_entries_per_s_format_v1']:,.0f})",
        flush=True,
    )
    print(f"leaf format: {json.dumps(report['leaf_format'], indent=2)}", flush=True)
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
