"""A served demo register: in-process (TestClient) and over real HTTP (for the browser)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories.databases import fresh_database, migrated_engine
from sharewell import db
from sharewell.config import Settings
from sharewell.demo.cli import activate_demo_agreements, demo_register_text
from sharewell.ledger import services as ledger
from sharewell.ledger.keys import ensure_signing_key, witnesses_path
from sharewell.ledger.note import CosignatureSigner
from sharewell.register import services
from sharewell.web.app import create_app

# A witness the demo log trusts (its verifier key is in $SHAREWELL_HOME/keys/witnesses).
WITNESS = CosignatureSigner.generate("witness.example/w1")


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    home = tmp_path_factory.mktemp("web")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            services.import_documents(session, demo_register_text(), source="demo")
            activate_demo_agreements(session)
        settings = Settings(home=home, database_url=url)
        signer, _ = ensure_signing_key(settings)
        witnesses_path(settings).write_text(WITNESS.vkey + "\n", encoding="utf-8")
        with db.transaction(engine) as session:
            ledger.integrate(session, signer)
        yield create_app(settings, engine=engine)
        engine.dispose()


@pytest.fixture(scope="session")
def client(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_url(demo_app: FastAPI) -> Iterator[str]:
    """The app on a real socket on loopback, for the browser."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(demo_app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 10 seconds")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
