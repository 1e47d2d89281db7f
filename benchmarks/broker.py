"""Benchmark: the broker's durable decisions, in process and over HTTP, on SQLite and PostgreSQL.

Prints, and writes to benchmarks/results/broker.json:
- in-process decisions/s (no HTTP), a batch of 1,000 subjects per transaction;
- end-to-end durable decisions/s over HTTP with p50/p99 latency: signed requests about one
  subject each, and about ten each, to the app served by uvicorn in its own process, from a
  bounded load generator in another process on 127.0.0.1 (fixed request count, time limit).

    python benchmarks/broker.py
    python benchmarks/broker.py --databases sqlite --people 5000 --requests 500
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from sqlalchemy import Engine

from sharewell import db
from sharewell.accounts import staff as staff_accounts
from sharewell.broker import client_auth
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.borough import generate_borough
from sharewell.demo.cli import activate_demo_agreements, demo_register_text
from sharewell.register import services as register
from sharewell.register.dataset_import import import_dataset_csv

BENCHMARKS = Path(__file__).resolve().parent
RESULTS = BENCHMARKS / "results" / "broker.json"
AGREEMENT = "northbridge-hb-fsm-consent"
FIELDS = ["housing-benefit-claims.first_name", "housing-benefit-claims.dob"]


def prepare(engine: Engine, home: Path, people: int) -> tuple[list[str], bytes, str]:
    """The demo register, a borough's Housing Benefit claims, consents, and an API client."""
    borough = generate_borough(home / "borough", people=people, seed=7)
    with db.transaction(engine) as session:
        register.prepare_register(session)
        register.import_documents(session, demo_register_text(), source="demo")
        activate_demo_agreements(session)
        import_dataset_csv(
            session,
            "northbridge",
            "housing-benefit-claims",
            borough.out_dir / "northbridge" / "housing-benefit-claims.csv",
        )
        ninos = [
            line.split(",")[2]
            for line in (borough.out_dir / "northbridge" / "housing-benefit-claims.csv")
            .read_text(encoding="utf-8")
            .splitlines()[1:]
            if line.split(",")[2]
        ]
        dpo = staff_accounts.by_email(session, "dpo@northbridge.example")
        # Every claimant is known (a first request about someone also makes their subject and
        # trail key: a one-off cost the steady state does not pay); half have consented.
        subjects = [consent.resolve_subject(session, "nino", n, create=True) for n in ninos]
        for subject in subjects[::2]:
            consent.record_consent(
                session,
                subject_id=subject.id,
                scope=ConsentScope.for_agreement(AGREEMENT),
                state="granted",
                captured_via="paper",
                captured_by=dpo,
                wording="I agree to my child's school being told.",
            )
        key = Ed25519PrivateKey.generate()
        from cryptography.hazmat.primitives import serialization

        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        client = client_auth.register_client(
            session, organisation_id="northbridge-schools", name="Benchmark", public_key=raw
        )
        private = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return ninos, private, client.key_id


def request_for(ninos: list[str]) -> DecisionRequest:
    return DecisionRequest.model_validate(
        {
            "purpose": "free-school-meals",
            "agreement": AGREEMENT,
            "subjects": [{"scheme": "nino", "value": n} for n in ninos],
            "fields": FIELDS,
        }
    )


def in_process(engine: Engine, ninos: list[str], total: int) -> float:
    requester = broker.Requester("northbridge-schools", "client:benchmark")
    done = 0
    start = time.perf_counter()
    while done < total:
        batch = [ninos[(done + i) % len(ninos)] for i in range(min(1_000, total - done))]
        with db.transaction(engine) as session:
            broker.decide(session, requester, request_for(batch))
        done += len(batch)
    return total / (time.perf_counter() - start)


class _Outgoing:
    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method, self.url, self.headers = method, url, headers


def _signed_requests(
    url: str, ninos: list[str], private: bytes, key_id: str, count: int, per_request: int
) -> list[tuple[bytes, dict[str, str]]]:
    """Requests signed ahead of the timed run, so the load process spends its core sending
    (each still has its own nonce and a ``created`` well inside the server's window)."""
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={key_id: Ed25519PrivateKey.from_private_bytes(private)}
        ),
    )
    signed = []
    for i in range(count):
        people = [ninos[(i * per_request + j) % len(ninos)] for j in range(per_request)]
        body = request_for(people).model_dump_json().encode()
        outgoing = _Outgoing("POST", url, {"Content-Type": "application/json"})
        signer.sign(
            outgoing,
            key_id=key_id,
            label="sharewell",
            created=dt.datetime.now(dt.UTC),
            nonce=secrets.token_urlsafe(24),
            covered_component_ids=("@method", "@path", "@query", "content-digest"),
            include_alg=True,
            body=body,
        )
        signed.append((body, outgoing.headers))
    return signed


def _load(
    url: str, signed: list[tuple[bytes, dict[str, str]]], concurrency: int, time_limit: float
) -> tuple[list[float], int, float]:
    """Send every request once from ``concurrency`` keep-alive connections; stop at the time
    limit. Runs in its own process: latencies (s), failures, and the elapsed seconds."""
    deadline = time.monotonic() + time_limit
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal failures
        with httpx2.Client(timeout=30) as http:
            for body, headers in signed[offset::concurrency]:
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                response = http.post(url, content=body, headers=headers)
                elapsed = time.perf_counter() - start
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        failures += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return latencies, failures, time.perf_counter() - start


@contextmanager
def served(home: Path, database_url: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """``sharewell``'s ASGI app under uvicorn in a process of its own (access log off, as
    behind a proxy that logs), on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "SHAREWELL_HOME": str(home),
        "SHAREWELL_DATABASE_URL": database_url,
        "SHAREWELL_SEQUENCER": "off",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "sharewell.web.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen([*command, "--no-access-log"], env=environment)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def over_http(
    base: str,
    ninos: list[str],
    private: bytes,
    key_id: str,
    *,
    requests: int,
    per_request: int,
    concurrency: int,
    time_limit: float,
) -> dict[str, float]:
    url = f"{base}/api/v1/decisions"
    signed = _signed_requests(url, ninos, private, key_id, requests, per_request)
    with ProcessPoolExecutor(max_workers=1) as load:
        latencies, failures, elapsed = load.submit(
            _load, url, signed, concurrency, time_limit
        ).result()
    ordered = sorted(latencies)
    return {
        "subjects_per_request": per_request,
        "concurrency": concurrency,
        "requests_ok": len(ordered),
        "requests_failed": failures,
        "requests_per_s": len(ordered) / elapsed,
        "decisions_per_s": len(ordered) * per_request / elapsed,
        "latency_ms_p50": statistics.median(ordered) * 1000 if ordered else 0.0,
        "latency_ms_p99": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000 if ordered else 0.0,
    }


def main() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    from ledger import database  # the same database set-up as the ledger benchmark

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=4)
    arguments, _ = parser.parse_known_args()
    report: dict[str, Any] = {"runs": []}
    for kind in arguments.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="sharewell-broker-bench-") as tmp:
            home = Path(tmp)
            with database(kind, home) as engine:
                ninos, private, key_id = prepare(engine, home, arguments.people)
                run = {"database": kind, "claimants": len(ninos)}
                run["in_process_decisions_per_s"] = in_process(engine, ninos, arguments.decisions)
                run["http"] = []
                with served(home, engine.url.render_as_string(False)) as base:
                    for per_request in (1, 10):
                        run["http"].append(
                            over_http(
                                base,
                                ninos,
                                private,
                                key_id,
                                requests=arguments.requests,
                                per_request=per_request,
                                concurrency=arguments.concurrency,
                                time_limit=120.0,
                            )
                        )
            print(json.dumps(run, indent=2), flush=True)
            report["runs"].append(run)
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
