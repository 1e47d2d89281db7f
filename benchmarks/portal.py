"""Benchmark: the citizen's "Your data" page, for a person with 200 entries in a ledger of 10⁶.

Prints, and writes to benchmarks/results/portal.json, p50/p95 latency of GET /your-data (the
first page, and a filtered view) over HTTP, for a citizen signed in through the real OpenID
Connect flow (the local provider), served by uvicorn in its own process. The ledger is filled
by the real broker (batches of 1,000 decisions about the borough's claimants), with the
citizen's 200 decisions spread evenly through it.

    python benchmarks/portal.py
    python benchmarks/portal.py --databases sqlite --entries 100000
"""

from __future__ import annotations

import argparse
import html
import json
import re
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import uvicorn
from sqlalchemy import Engine

from sharewell import db
from sharewell.broker import services as broker
from sharewell.config import DEMO_OIDC_CLIENT_ID, DEMO_OIDC_CLIENT_SECRET
from sharewell.consent import services as consent
from sharewell.demo.oidc_provider import DemoUser, ProviderState, build_provider
from sharewell.ledger import services as ledger
from sharewell.trail import services as trail

BENCHMARKS = Path(__file__).resolve().parent
RESULTS = BENCHMARKS / "results" / "portal.json"
CITIZEN_ENTRIES = 200
BATCH = 1_000
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_PROVIDERS: dict[str, ProviderState] = {}


def fill(engine: Engine, ninos: list[str], citizen: str, total: int) -> tuple[float, int]:
    """``total`` decisions, ``CITIZEN_ENTRIES`` of them about ``citizen``, spread evenly."""
    sys.path.insert(0, str(BENCHMARKS))
    from broker import request_for  # the broker benchmark's request

    requester = broker.Requester("northbridge-schools", "client:benchmark")
    others = [n for n in ninos if n != citizen]
    batches = -(-total // BATCH)
    # The citizen's decisions, spread evenly through the ledger: (batch, slot) for each.
    theirs = {((i * batches) // CITIZEN_ENTRIES, i % BATCH) for i in range(CITIZEN_ENTRIES)}
    done = position = 0
    start = time.perf_counter()
    for number in range(batches):
        size = min(BATCH, total - done)
        batch = [others[(position + i) % len(others)] for i in range(size)]
        position += size
        for slot in range(size):
            if (number, slot) in theirs:
                batch[slot] = citizen
        with db.transaction(engine) as session:
            broker.decide(session, requester, request_for(batch))
        done += size
        if number % 100 == 0:
            print(f"  {done:,} of {total:,} decisions", flush=True)
    elapsed = time.perf_counter() - start
    with db.transaction(engine) as session:
        assert ledger.sequenced_size(session) >= total
        subject = consent.resolve_subject(session, "nino", citizen)
        found = trail.trail_for(session, subject.id).total
    return elapsed, found


@contextmanager
def local_provider(nino: str) -> Iterator[tuple[str, DemoUser]]:
    """The demo's OpenID Connect provider on a free port, knowing one resident."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}"
    app, state = build_provider(issuer)
    _PROVIDERS[issuer] = state
    user = state.add_user("resident@example.com", "a benchmark password", "A Resident", nino)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield issuer, user
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in(base: str, provider: ProviderState, user: DemoUser) -> httpx2.Client:
    """Sign the resident in through the whole authorization code flow, as a browser would."""
    provider.add_client(DEMO_OIDC_CLIENT_ID, DEMO_OIDC_CLIENT_SECRET, [f"{base}/sign-in/callback"])
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=30)
    start = client.get("/sign-in/start")
    authorize = start.headers["location"]
    with httpx2.Client(follow_redirects=False, timeout=30) as browser:
        form = browser.get(authorize).text
        hidden = {k: html.unescape(v) for k, v in HIDDEN_INPUT.findall(form)}
        answer = browser.post(
            authorize.split("?", 1)[0],
            data={**hidden, "email": user.email, "password": user.password, "action": "sign-in"},
        )
    back = urlsplit(answer.headers["location"])
    done = client.get(f"{back.path}?{back.query}")
    if done.status_code != 303:
        raise RuntimeError(f"sign-in failed: {done.status_code} {done.text[:500]}")
    return client


def timed_gets(client: httpx2.Client, path: str, count: int) -> dict[str, float]:
    client.get(path).raise_for_status()  # warm
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        response = client.get(path)
        latencies.append(time.perf_counter() - start)
        response.raise_for_status()
    ordered = sorted(latencies)
    return {
        "path": path,
        "requests": count,
        "latency_ms_p50": statistics.median(ordered) * 1000,
        "latency_ms_p95": ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000,
        "bytes": len(response.content),
    }


def main() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    from broker import prepare, served
    from ledger import database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    arguments, _ = parser.parse_known_args()
    report: dict[str, Any] = {"runs": []}
    for kind in arguments.databases.split(","):
        with tempfile.TemporaryDirectory(prefix="sharewell-portal-bench-") as tmp:
            home = Path(tmp)
            with database(kind, home) as engine:
                ninos, _, _ = prepare(engine, home, arguments.people)
                citizen = ninos[0]
                print(f"{kind}: filling the ledger with {arguments.entries:,} decisions")
                fill_seconds, found = fill(engine, ninos, citizen, arguments.entries)
                run: dict[str, Any] = {
                    "database": kind,
                    "ledger_entries": arguments.entries,
                    "citizen_entries": found,  # their decisions and consent records
                    "fill_seconds": fill_seconds,
                }
                with (
                    local_provider(citizen) as (issuer, user),
                    served(
                        home,
                        engine.url.render_as_string(False),
                        {"SHAREWELL_OIDC_ISSUER": issuer},
                    ) as base,
                ):
                    client = sign_in(base, _PROVIDERS[issuer], user)
                    run["pages"] = [
                        timed_gets(client, "/your-data", arguments.requests),
                        timed_gets(client, "/your-data?outcome=partial&page=2", arguments.requests),
                    ]
                    client.close()
            print(json.dumps(run, indent=2), flush=True)
            report["runs"].append(run)
    report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
