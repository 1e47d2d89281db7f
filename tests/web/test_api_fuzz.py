"""Schemathesis over the published OpenAPI document: whatever a caller sends, sharewell answers
with something other than a server error. Once unsigned (every operation, pages included, as
anyone on the internet could call them), and once signed by a registered partner system, so
that generated bodies reach the broker itself rather than stopping at the signature check."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from sqlalchemy import create_engine

from factories.api_clients import SigningClient, register_client
from factories.broker import ada_consents
from factories.citizens import LocalProvider
from factories.databases import fresh_database, migrated_engine
from sharewell import db
from sharewell.config import Settings
from sharewell.ledger import services as ledger
from sharewell.ledger.keys import ensure_signing_key
from sharewell.web.app import create_app

BASE = "https://sharewell.test"
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is a defect, never luck
    suppress_health_check=list(HealthCheck),
)


class World:
    def __init__(self, app: FastAPI, partner: SigningClient) -> None:
        self.app = app
        self.partner = partner


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, oidc_provider: LocalProvider
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("fuzz")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        settings_ = Settings(home=home, database_url=url, oidc=oidc_provider.settings)
        signer, _ = ensure_signing_key(settings_)
        with db.transaction(engine) as session:
            ada_consents(session, home)
            partner = register_client(session, "northbridge-schools")
            ledger.integrate(session, signer)
        yield World(create_app(settings_, engine=engine), partner)
        engine.dispose()


def _published_document() -> dict[str, Any]:
    """The OpenAPI document as served (it depends on the routes, not on any data)."""
    with tempfile.TemporaryDirectory() as home:  # the app writes its session key there
        app = create_app(
            Settings(home=Path(home), database_url="sqlite://"),
            engine=create_engine("sqlite://"),
        )
        return app.openapi()


# Built at collection from the document itself; the requests go to the module's world.
# (Schemathesis's lazy fixture loader does not run under pytest 9.2.)
unsigned = schemathesis.openapi.from_dict(_published_document())
signed = unsigned.include(path_regex="^/api/v1/decisions")


def _raw_body(case: Case) -> bytes:
    if case.body is None or isinstance(case.body, type(schemathesis.core.NOT_SET)):
        return b""
    if isinstance(case.body, bytes):
        return case.body
    if isinstance(case.body, str) and case.media_type != "application/json":
        return case.body.encode()
    return json.dumps(case.body).encode()


def _send(client: TestClient, case: Case, headers: dict[str, str]) -> Any:
    return client.request(
        case.method,
        case.formatted_path,
        params=case.query or None,
        content=_raw_body(case),
        headers={**{k: str(v) for k, v in (case.headers or {}).items()}, **headers},
    )


@unsigned.parametrize()
@EXAMPLES
def test_no_request_from_anyone_causes_a_server_error(case: Case, world: World) -> None:
    client = TestClient(world.app, base_url=BASE, follow_redirects=False)
    content_type = {"Content-Type": case.media_type} if case.media_type else {}
    answer = _send(client, case, content_type)
    assert answer.status_code < 500, f"{case.method} {case.formatted_path}: {answer.text[:500]}"


@signed.parametrize()
@EXAMPLES
def test_no_signed_request_from_a_partner_causes_a_server_error(case: Case, world: World) -> None:
    client = TestClient(world.app, base_url=BASE, follow_redirects=False)
    raw = _raw_body(case)
    extra = {k: str(v) for k, v in (case.headers or {}).items()}
    url = str(client.build_request("POST", case.formatted_path, params=case.query or None).url)
    headers = world.partner.sign(case.method, url, raw, headers=extra)
    answer = _send(client, case, headers)
    assert answer.status_code < 500, f"{case.method} {case.formatted_path}: {answer.text[:500]}"
    assert answer.status_code != 401, "the test's signature was refused: it tests nothing"
