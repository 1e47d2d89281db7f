"""A served demo register: in-process (TestClient) and over real HTTP (for the browser)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories.citizens import LocalProvider, served_provider
from factories.databases import fresh_database, migrated_engine
from factories.serving import served
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


# A made-up resident of the demo app, known to its sign-in service (no records held yet).
DEMO_RESIDENT = {
    "email": "resident@example.com",
    "password": "demo-resident-password",
    "name": "Dee Resident",
    "nino": "HJ246810D",
}


@contextmanager
def _sign_in_service(request: pytest.FixtureRequest) -> Iterator[LocalProvider]:
    """The session's `oidc_provider` where a conftest registers it (tests/web), else one of
    this app's own; either way it knows the demo resident."""
    try:
        shared: LocalProvider | None = request.getfixturevalue("oidc_provider")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        shared.add_user(**DEMO_RESIDENT)
        yield shared
        return
    with served_provider() as own:
        own.add_user(**DEMO_RESIDENT)
        yield own


def demo_sign_in_service(app: FastAPI) -> LocalProvider:
    """Where the demo app's residents sign in."""
    provider: LocalProvider = app.state.test_sign_in_service
    return provider


@pytest.fixture(scope="session")
def demo_app(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[FastAPI]:
    home = tmp_path_factory.mktemp("web")
    with _sign_in_service(request) as provider, fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            services.import_documents(session, demo_register_text(), source="demo")
            activate_demo_agreements(session)
        settings = Settings(home=home, database_url=url, oidc=provider.settings)
        signer, _ = ensure_signing_key(settings)
        witnesses_path(settings).write_text(WITNESS.vkey + "\n", encoding="utf-8")
        with db.transaction(engine) as session:
            ledger.integrate(session, signer)
        app = create_app(settings, engine=engine)
        app.state.test_sign_in_service = provider
        yield app
        engine.dispose()


@pytest.fixture(scope="session")
def client(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_url(demo_app: FastAPI) -> Iterator[str]:
    """The app on a real socket on loopback, for the browser (its residents can sign in)."""
    with served(demo_app) as url:
        demo_sign_in_service(demo_app).allow(url)
        yield url


ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
