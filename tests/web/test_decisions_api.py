"""POST /api/v1/decisions end to end: a signed partner system, the real broker, the ledger."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from factories.api_clients import SigningClient, register_client
from factories.broker import ada_consents
from factories.databases import fresh_database, migrated_engine
from sharewell import db
from sharewell.broker import client_auth
from sharewell.broker.models import BrokerDecision
from sharewell.config import Settings
from sharewell.ledger import services as ledger
from sharewell.web.app import create_app

FIELDS = ["housing-benefit-claims.first_name", "housing-benefit-claims.weekly_income"]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Engine, dict[str, SigningClient]]]:
    home = tmp_path_factory.mktemp("api")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            ada_consents(session, home)
            clients = {
                org: register_client(session, org) for org in ("northbridge-schools", "southmere")
            }
        app = create_app(Settings(home=home, database_url=url), engine=engine)
        with TestClient(app, base_url="https://sharewell.test") as client:
            yield client, engine, clients
        engine.dispose()


def post(
    client: TestClient,
    signer: SigningClient,
    body: dict[str, object],
    path: str = "/api/v1/decisions",
    **headers: str,
) -> object:
    raw = json.dumps(body).encode()
    signed = signer.sign("POST", f"https://sharewell.test{path}", raw, headers=headers)
    return client.post(path, content=raw, headers=signed)


def body(**overrides: object) -> dict[str, object]:
    return {
        "purpose": "free-school-meals",
        "agreement": "northbridge-hb-fsm-consent",
        "subjects": [{"scheme": "nino", "value": "AB123456C"}],
        "fields": FIELDS,
        **overrides,
    }


def decisions(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(BrokerDecision)) or 0


def test_a_signed_request_is_decided_minimised_and_committed(world) -> None:  # type: ignore[no-untyped-def]
    client, engine, clients = world
    before = decisions(engine)
    response = post(client, clients["northbridge-schools"], body())
    assert response.status_code == 200, response.text
    (decision,) = response.json()["decisions"]
    assert decision["outcome"] == "partial"
    assert decision["released"] == {"housing-benefit-claims.first_name": "Ada"}
    assert "120" not in response.text
    assert decisions(engine) == before + 1  # committed before the answer was sent
    with db.transaction(engine) as session:
        assert ledger.get_entry(session, decision["ledger_index"])


def test_another_organisations_system_gets_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, _, clients = world
    response = post(client, clients["southmere"], body())
    (decision,) = response.json()["decisions"]
    assert decision["outcome"] == "deny"
    assert decision["released"] == {}
    assert "recipient_not_party" in [r["code"] for r in decision["reasons"]]


def test_unsigned_and_replayed_requests_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    client, engine, clients = world
    before = decisions(engine)
    assert client.post("/api/v1/decisions", json=body()).status_code == 401
    raw = json.dumps(body()).encode()
    signed = clients["northbridge-schools"].sign(
        "POST", "https://sharewell.test/api/v1/decisions", raw
    )
    assert client.post("/api/v1/decisions", content=raw, headers=signed).status_code == 200
    again = client.post("/api/v1/decisions", content=raw, headers=signed)
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
    assert decisions(engine) == before + 1


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"purpose": "marketing"}, "/body/purpose"),
        ({"fields": ["not a field"]}, "/body/fields/0"),
        ({"subjects": [{"scheme": "passport", "value": "x"}]}, "/body/subjects/0/scheme"),
        ({"subjects": "AB123456C"}, "/body/subjects"),
        ({"subjects": [{"scheme": "nino", "value": "12345"}]}, "/body/subjects/0/value"),
        ({"subjects": [{"scheme": "dataset_record", "value": "x"}]}, "/body/subjects/0/value"),
        ({"fields": "housing-benefit-claims.dob"}, "/body/fields"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(world, change, pointer) -> None:  # type: ignore[no-untyped-def]
    client, engine, clients = world
    before = decisions(engine)
    response = post(client, clients["northbridge-schools"], body(**change))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]
    assert decisions(engine) == before


def test_an_oversized_batch_is_sent_to_the_stream(world) -> None:  # type: ignore[no-untyped-def]
    client, _, clients = world
    many = [{"scheme": "nino", "value": f"JH{i:06d}A"} for i in range(1_001)]
    response = post(client, clients["northbridge-schools"], body(subjects=many))
    assert response.status_code == 422
    assert "/api/v1/decisions/stream" in response.json()["detail"]


def test_a_retry_with_the_same_idempotency_key_adds_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, engine, clients = world
    signer = clients["northbridge-schools"]
    first = post(client, signer, body(), **{"Idempotency-Key": "partner-retry-42"})
    count = decisions(engine)
    second = post(client, signer, body(), **{"Idempotency-Key": "partner-retry-42"})
    assert second.json()["replayed"] is True
    assert second.json()["decisions"] == first.json()["decisions"]
    assert decisions(engine) == count
    conflict = post(
        client, signer, body(fields=FIELDS[:1]), **{"Idempotency-Key": "partner-retry-42"}
    )
    assert conflict.status_code == 409


def test_a_large_batch_streams_each_decision(world) -> None:  # type: ignore[no-untyped-def]
    client, _, clients = world
    many = [{"scheme": "nino", "value": "AB123456C"}] + [
        {"scheme": "nino", "value": f"JH{i:06d}A"} for i in range(1_500)
    ]
    response = post(
        client, clients["northbridge-schools"], body(subjects=many), path="/api/v1/decisions/stream"
    )
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[-1] == {"done": True, "subjects": 1_501}
    assert [d["position"] for d in lines[:-1]] == list(range(1_501))
    assert lines[0]["released"] == {"housing-benefit-claims.first_name": "Ada"}


def test_a_retried_stream_with_its_idempotency_key_writes_nothing_new(world) -> None:  # type: ignore[no-untyped-def]
    client, engine, clients = world
    many = [{"scheme": "nino", "value": f"KP{i:06d}A"} for i in range(1_200)]
    key = {"Idempotency-Key": "campaign-run-0007"}
    stream = "/api/v1/decisions/stream"
    first = post(client, clients["northbridge-schools"], body(subjects=many), path=stream, **key)
    assert first.status_code == 200, first.text
    written = decisions(engine)
    again = post(client, clients["northbridge-schools"], body(subjects=many), path=stream, **key)
    assert again.status_code == 200, again.text
    assert again.text == first.text  # the same decisions, the same ledger entries
    assert decisions(engine) == written
    other = post(
        client, clients["northbridge-schools"], body(subjects=many[:5]), path=stream, **key
    )
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert decisions(engine) == written


# The worked request in docs/api.md, sent byte for byte ------------------------------------

DOCS = Path(__file__).parents[2] / "docs" / "api.md"


def _docs_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if containing in block)


def test_the_documented_request_gets_the_documented_answer(world) -> None:  # type: ignore[no-untyped-def]
    client, engine, _ = world
    with db.transaction(engine) as session:
        client_auth.register_client(
            session,
            organisation_id="northbridge-schools",
            name="Docs example",
            public_key=client_auth.parse_public_key(
                _docs_block("text", "BEGIN PUBLIC KEY").encode()
            ),
        )
    head, body = _docs_block("http", "Signature-Input").split("\n\n", 1)
    request_line, *header_lines = head.splitlines()
    method, target, _ = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in header_lines)
    del headers["Host"]  # the test client's own
    # The example was signed on 25 November 2026; widen the window rather than fake a clock.
    client.app.state.client_signature_window = dt.timedelta(days=365 * 20)
    try:
        response = client.request(
            method, target, content=body.rstrip("\n").encode(), headers=headers
        )
    finally:
        del client.app.state.client_signature_window
    assert response.status_code == 200, response.text
    answer = response.json()
    documented = json.loads(_docs_block("json", '"decisions"'))
    for summary in (answer, documented):
        summary.pop("request_id")
        for decision in summary["decisions"]:
            decision.pop("ledger_index")
    # The consent in this world was given today; in the example, on the day it was signed.
    day = re.compile(r"on \d{1,2} [A-Z][a-z]+ \d{4}")
    assert json.loads(day.sub("on DAY", json.dumps(answer))) == json.loads(
        day.sub("on DAY", json.dumps(documented))
    )
