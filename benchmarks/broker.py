"""Benchmark: the broker's durable decisions, in process and over HTTP, on SQLite and PostgreSQL.

Prints, and writes to benchmarks/results/broker.json:
- in-process decisions/s (no HTTP), a batch of 1,000 subjects per transaction;
- end-to-end durable decisions/s over HTTP (signed requests, one subject each) with p50/p99
  latency, from a bounded load generator on 127.0.0.1 (fixed request count and time limit).

    python benchmarks/broker.py
    python benchmarks/broker.py --databases sqlite --people 5000 --requests 500
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import secrets
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from sqlalchemy import Engine

from sharewell import db
from sharewell.broker import client_auth
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.config import Settings
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.borough import generate_borough
from sharewell.demo.cli import DEMO_ACTIVATIONS, demo_register_text
from sharewell.register import services as register
from sharewell.register.dataset_import import import_dataset_csv
from sharewell.register.vocabulary import AgreementStatus
from sharewell.web.app import create_app

sys_path_benchmarks = Path(__file__).resolve().parent
RESULTS = sys_path_benchmarks / "results" / "broker.json"
AGREEMENT = "northbridge-hb-fsm-consent"
FIELDS = ["housing-benefit-claims.first_name", "housing-benefit-claims.dob"]


def prepare(engine: Engine, home: Path, people: int) -> tuple[list[str], bytes, str]:
    """The demo register, a borough's Housing Benefit claims, consents, and an API client."""
    borough = generate_borough(home / "borough", people=people, seed=7)
    with db.transaction(engine) as session:
        register.prepare_register(session)
        register.import_documents(session, demo_register_text(), source="demo")
        for agreement_id, email in DEMO_ACTIVATIONS.items():
            register.change_status(
                session,
                agreement_id,
                AgreementStatus.ACTIVE,
                actor=register.get_staff_user(session, email),
            )
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
        dpo = register.get_staff_user(session, "dpo@northbridge.example")
        for nino in ninos[::2]:  # half the claimants have consented
            subject = consent.resolve_subject(session, "nino", nino, create=True)
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


def over_http(
    engine: Engine,
    settings: Settings,
    ninos: list[str],
    private: bytes,
    key_id: str,
    requests: int,
    concurrency: int,
    time_limit: float,
) -> dict[str, float]:
    app = create_app(settings, engine=engine)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    key = Ed25519PrivateKey.from_private_bytes(private)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key_id: key}),
    )
    url = f"http://127.0.0.1:{port}/api/v1/decisions"
    deadline = time.monotonic() + time_limit
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def worker(offset: int) -> None:
        nonlocal failures
        with httpx2.Client(timeout=30) as http:
            for i in range(offset, requests, concurrency):
                if time.monotonic() > deadline:
                    return
                body = request_for([ninos[i % len(ninos)]]).model_dump_json().encode()
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
                start = time.perf_counter()
                response = http.post(url, content=body, headers=outgoing.headers)
                elapsed = time.perf_counter() - start
                with lock:
                    if response.status_code == 200:
                        latencies.append(elapsed)
                    else:
                        failures += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - start
    server.should_exit = True
    thread.join(timeout=10)
    ordered = sorted(latencies)
    return {
        "requests_ok": len(latencies),
        "requests_failed": failures,
        "decisions_per_s": len(latencies) / elapsed,
        "latency_ms_p50": statistics.median(ordered) * 1000 if ordered else 0.0,
        "latency_ms_p99": ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0,
    }


def main() -> None:
    sys_path = __import__("sys").path
    sys_path.insert(0, str(sys_path_benchmarks))
    from ledger import database  # the same database set-up as the ledger benchmark

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments, _ = parser.parse_known_args()
    report: dict[str, Any] = {"runs": []}
    for kind in arguments.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="sharewell-broker-bench-") as tmp:
            home = Path(tmp)
            with database(kind, home) as engine:
                ninos, private, key_id = prepare(engine, home, arguments.people)
                run = {"database": kind, "claimants": len(ninos)}
                run["in_process_decisions_per_s"] = in_process(engine, ninos, arguments.decisions)
                settings = Settings(home=home, database_url=engine.url.render_as_string(False))
                run["http"] = over_http(
                    engine,
                    settings,
                    ninos,
                    private,
                    key_id,
                    arguments.requests,
                    arguments.concurrency,
                    120.0,
                )
            print(json.dumps(run, indent=2), flush=True)
            report["runs"].append(run)
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
