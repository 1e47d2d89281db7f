"""Signed requests from machine clients: forgeries, replays and mistakes each refused with a 401.

The HTTP tests mount a test-only router on an app with sharewell's real error handlers and a
database of its own, so each request commits (or rolls back) its own transaction, nonce
included, exactly as a production route would.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import generate_private_key
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from http_message_signatures import ContentDigest, algorithms
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from factories.api_clients import (
    SigningClient,
    fresh_nonce,
    organisation,
    raw_public_key,
    register_client,
    unregistered_client,
)
from factories.databases import fresh_database, migrated_engine
from sharewell import db
from sharewell.broker import client_auth
from sharewell.broker.client_auth import SignedClient, verify_signed_request
from sharewell.broker.errors import (
    ApiClientInputInvalid,
    ApiClientKeyTaken,
    ApiClientNotFound,
    NonceReplayed,
    SignatureFromFuture,
    SignatureTooOld,
)
from sharewell.broker.models import ApiClientNonce
from sharewell.errors import Conflict
from sharewell.register.errors import OrganisationNotFound
from sharewell.web.deps import SessionDep
from sharewell.web.errors import install_error_handlers

BASE = "http://testserver"
ECHO = f"{BASE}/api/v1/test/echo"
BODY = b'{"purpose": "benefit-administration", "fields": ["nino"]}'
DOCS = Path(__file__).parents[3] / "docs" / "api.md"


# A test-only API, built like a production one --------------------------------------------

router = APIRouter()


@router.post("/api/v1/test/echo")
@router.get("/api/v1/test/echo")
def echo(client: SignedClient) -> dict[str, str]:
    return {"key_id": client.key_id, "organisation": client.organisation_id}


@router.post("/api/v1/test/other")
def other(client: SignedClient) -> dict[str, str]:
    return {"key_id": client.key_id}


@router.post("/api/v1/test/fails")
def fails(client: SignedClient, session: SessionDep) -> dict[str, str]:
    raise Conflict("The work failed after authentication.")


@pytest.fixture(scope="module")
def own_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("client-auth")) as url:
        engine = migrated_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def http(own_engine: Engine) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.sessions = db.session_factory(own_engine)
    install_error_handlers(app)
    app.include_router(router)
    with TestClient(app, base_url=BASE) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def partner(own_engine: Engine) -> SigningClient:
    with db.transaction(own_engine) as session:
        return register_client(session, name="Northbridge housing system")


@pytest.fixture(scope="module")
def revoked(own_engine: Engine) -> SigningClient:
    with db.transaction(own_engine) as session:
        client = register_client(session, name="Retired system")
        assert client_auth.revoke_client(session, client.key_id)
    return client


def send(
    http: TestClient,
    headers: dict[str, str],
    body: bytes = BODY,
    url: str = ECHO,
    method: str = "POST",
) -> httpx2.Response:
    return http.request(method, url, content=body, headers=headers)


def assert_refused(response: httpx2.Response, detail: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 401
    assert problem["title"] == "Unauthorized"
    assert detail in problem["detail"], problem["detail"]


def nonces(engine: Engine, key_id: str) -> set[str]:
    with db.transaction(engine) as session:
        return set(
            session.scalars(select(ApiClientNonce.nonce).where(ApiClientNonce.key_id == key_id))
        )


def signature_input(headers: dict[str, str]) -> str:
    return headers["Signature-Input"]


# Accepted --------------------------------------------------------------------------------


def test_a_correctly_signed_request_passes_and_spends_its_nonce(
    http: TestClient, partner: SigningClient, own_engine: Engine
) -> None:
    headers = partner.sign("POST", ECHO, BODY)
    response = send(http, headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"key_id": partner.key_id, "organisation": "northbridge"}
    nonce = re.search(r';nonce="([^"]+)"', signature_input(headers))
    assert nonce is not None
    assert nonce.group(1) in nonces(own_engine, partner.key_id)  # committed by the request


def test_a_signed_get_with_a_query_passes(http: TestClient, partner: SigningClient) -> None:
    url = f"{ECHO}?page=2&size=50"
    response = send(http, partner.sign("GET", url), body=b"", url=url, method="GET")
    assert response.status_code == 200, response.text


def test_target_uri_may_stand_in_for_path_and_query(
    http: TestClient, partner: SigningClient
) -> None:
    url = f"{ECHO}?page=2"
    headers = partner.sign("POST", url, BODY, covered=("@method", "@target-uri", "content-digest"))
    assert send(http, headers, url=url).status_code == 200


def test_a_sha512_content_digest_is_accepted(http: TestClient, partner: SigningClient) -> None:
    class Sha512(ContentDigest):
        algorithm = "sha-512"

    headers = partner.sign(
        "POST", ECHO, BODY, digest_body=False, headers={"Content-Digest": Sha512.create(BODY)}
    )
    assert headers["Content-Digest"].startswith("sha-512=:")
    assert send(http, headers).status_code == 200


def test_header_names_are_case_insensitive(http: TestClient, partner: SigningClient) -> None:
    headers = {name.lower(): value for name, value in partner.sign("POST", ECHO, BODY).items()}
    assert send(http, headers).status_code == 200


# Refused: forgery and tampering ----------------------------------------------------------


def test_a_signature_by_another_key_is_refused(http: TestClient, partner: SigningClient) -> None:
    forged = partner.sign("POST", ECHO, BODY, signing_key=Ed25519PrivateKey.generate())
    assert_refused(
        send(http, forged),
        f"The signature does not verify with the public key registered as '{partner.key_id}'",
    )


def test_an_altered_body_is_refused(http: TestClient, partner: SigningClient) -> None:
    headers = partner.sign("POST", ECHO, BODY)
    altered = BODY.replace(b"nino", b"name")
    assert_refused(
        send(http, headers, body=altered),
        "The body does not match the Content-Digest header the signature covers",
    )


def test_an_altered_body_with_a_recomputed_digest_is_refused(
    http: TestClient, partner: SigningClient
) -> None:
    headers = partner.sign("POST", ECHO, BODY)
    altered = BODY.replace(b"nino", b"name")
    headers["Content-Digest"] = ContentDigest.create(altered)
    assert_refused(send(http, headers, body=altered), "The signature does not verify")


def test_an_altered_path_is_refused(http: TestClient, partner: SigningClient) -> None:
    headers = partner.sign("POST", ECHO, BODY)
    assert_refused(send(http, headers, url=f"{BASE}/api/v1/test/other"), "does not verify")


def test_an_altered_query_is_refused(http: TestClient, partner: SigningClient) -> None:
    headers = partner.sign("GET", f"{ECHO}?page=1", b"")
    response = send(http, headers, body=b"", url=f"{ECHO}?page=2", method="GET")
    assert_refused(response, "does not verify")


def test_an_altered_method_is_refused(http: TestClient, partner: SigningClient) -> None:
    headers = partner.sign("GET", ECHO, BODY)
    assert_refused(send(http, headers, method="POST"), "does not verify")


# Refused: replay and time ----------------------------------------------------------------


def test_a_replayed_request_is_refused(http: TestClient, partner: SigningClient) -> None:
    headers = partner.sign("POST", ECHO, BODY)
    assert send(http, headers).status_code == 200
    assert_refused(
        send(http, headers),
        f"This nonce was already used with key '{partner.key_id}': the request is a replay.",
    )


def test_a_nonce_is_spent_per_key_not_across_keys(
    http: TestClient, partner: SigningClient, own_engine: Engine
) -> None:
    with db.transaction(own_engine) as session:
        second = register_client(session, name="Second system")
    nonce = fresh_nonce()
    assert send(http, partner.sign("POST", ECHO, BODY, nonce=nonce)).status_code == 200
    assert send(http, second.sign("POST", ECHO, BODY, nonce=nonce)).status_code == 200
    assert_refused(send(http, partner.sign("POST", ECHO, BODY, nonce=nonce)), "already used")


def test_a_request_whose_work_fails_does_not_spend_its_nonce(
    http: TestClient, partner: SigningClient, own_engine: Engine
) -> None:
    nonce = fresh_nonce()
    url = f"{BASE}/api/v1/test/fails"
    response = send(http, partner.sign("POST", url, BODY, nonce=nonce), url=url)
    assert response.status_code == 409
    assert nonce not in nonces(own_engine, partner.key_id)  # rolled back with the work


def test_an_old_created_is_refused(http: TestClient, partner: SigningClient) -> None:
    created = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=400)
    assert_refused(
        send(http, partner.sign("POST", ECHO, BODY, created=created)),
        "seconds before the server's time",
    )


def test_a_future_created_is_refused(http: TestClient, partner: SigningClient) -> None:
    created = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=400)
    assert_refused(
        send(http, partner.sign("POST", ECHO, BODY, created=created)),
        "seconds after the server's time",
    )


def test_a_passed_expires_is_refused(http: TestClient, partner: SigningClient) -> None:
    expires = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    headers = partner.sign("POST", ECHO, BODY, expires=expires)
    assert ";expires=" in headers["Signature-Input"]
    assert_refused(send(http, headers), 'The signature\'s "expires" time has passed')


def test_an_expires_still_ahead_is_accepted(http: TestClient, partner: SigningClient) -> None:
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    assert send(http, partner.sign("POST", ECHO, BODY, expires=expires)).status_code == 200


# Refused: keys ---------------------------------------------------------------------------


def test_an_unknown_key_is_refused(http: TestClient) -> None:
    stranger = unregistered_client()
    assert_refused(
        send(http, stranger.sign("POST", ECHO, BODY)),
        f"No API client is registered with key id '{stranger.key_id}'.",
    )


def test_a_revoked_key_is_refused(http: TestClient, revoked: SigningClient) -> None:
    assert_refused(
        send(http, revoked.sign("POST", ECHO, BODY)),
        f"The API client with key id '{revoked.key_id}' has been revoked.",
    )


def test_revocation_applies_to_the_very_next_request(http: TestClient, own_engine: Engine) -> None:
    with db.transaction(own_engine) as session:
        client = register_client(session, name="Soon revoked")
    assert send(http, client.sign("POST", ECHO, BODY)).status_code == 200
    with db.transaction(own_engine) as session:
        client_auth.revoke_client(session, client.key_id)
    assert_refused(send(http, client.sign("POST", ECHO, BODY)), "has been revoked")


# Refused: malformed or incomplete signatures ---------------------------------------------


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        (("Signature", "Signature-Input"), "Signature-Input or Signature"),
        (("Signature",), "no Signature header"),
        (("Signature-Input",), "no Signature-Input header"),
    ],
)
def test_a_missing_signature_header_is_refused(
    http: TestClient, partner: SigningClient, drop: tuple[str, ...], named: str
) -> None:
    headers = partner.sign("POST", ECHO, BODY)
    for name in drop:
        del headers[name]
    response = send(http, headers)
    assert_refused(response, "The request is not signed")
    assert_refused(response, named)


def test_a_signature_not_covering_the_content_digest_is_refused(
    http: TestClient, partner: SigningClient
) -> None:
    headers = partner.sign("POST", ECHO, BODY, covered=("@method", "@path"), digest_body=False)
    assert "Content-Digest" in headers  # sent, but not signed
    assert_refused(send(http, headers), 'The signature does not cover "content-digest".')


@pytest.mark.parametrize(
    ("covered", "missing"),
    [
        (("@path", "content-digest"), '"@method"'),
        (("@method", "content-digest"), '"@path"'),
        (("@method", "@authority", "content-digest"), '"@path"'),
    ],
)
def test_a_signature_missing_a_required_component_is_refused(
    http: TestClient, partner: SigningClient, covered: tuple[str, ...], missing: str
) -> None:
    headers = partner.sign("POST", ECHO, BODY, covered=covered)
    assert_refused(send(http, headers), f"The signature does not cover {missing}")


def test_a_query_must_be_covered_when_the_url_has_one(
    http: TestClient, partner: SigningClient
) -> None:
    url = f"{ECHO}?page=1"
    headers = partner.sign("GET", url, b"", covered=("@method", "@path", "content-digest"))
    response = send(http, headers, body=b"", url=url, method="GET")
    assert_refused(response, 'The signature does not cover "@query"')


def test_a_signature_with_another_algorithm_is_refused(
    http: TestClient, partner: SigningClient
) -> None:
    # Algorithm confusion: an HMAC "signature" keyed with the public key, under the same keyid.
    headers = partner.sign(
        "POST",
        ECHO,
        BODY,
        algorithm=algorithms.HMAC_SHA256,
        signing_key=raw_public_key(partner.private_key),
    )
    assert 'alg="hmac-sha256"' in headers["Signature-Input"]
    assert_refused(
        send(http, headers),
        'The signature declares alg="hmac-sha256"; sharewell accepts only alg="ed25519".',
    )


def test_a_signature_without_an_algorithm_is_refused(
    http: TestClient, partner: SigningClient
) -> None:
    headers = partner.sign("POST", ECHO, BODY, include_alg=False)
    assert_refused(send(http, headers), "The signature does not declare its algorithm.")


def test_an_rsa_signature_is_refused(http: TestClient, partner: SigningClient) -> None:
    rsa_key = generate_private_key(public_exponent=65537, key_size=2048)
    headers = partner.sign(
        "POST", ECHO, BODY, algorithm=algorithms.RSA_PSS_SHA512, signing_key=rsa_key
    )
    assert_refused(send(http, headers), 'declares alg="rsa-pss-sha512"')


@pytest.mark.parametrize(
    ("nonce", "detail"),
    [
        (None, 'The signature has no "nonce" parameter.'),
        ("short", "The signature's nonce is 5 characters; use 16 to 128"),
        ("n" * 129, "The signature's nonce is 129 characters"),
    ],
)
def test_a_missing_or_weak_nonce_is_refused(
    http: TestClient, partner: SigningClient, nonce: str | None, detail: str
) -> None:
    assert_refused(send(http, partner.sign("POST", ECHO, BODY, nonce=nonce)), detail)


@pytest.mark.parametrize(
    ("mangle", "detail"),
    [
        (lambda h: h | {"Signature": "sharewell=not-base64"}, "cannot be read"),
        (
            lambda h: h | {"Signature": h["Signature"].replace("sharewell=", "other=")},
            "cannot be read",
        ),
        (
            lambda h: (
                h
                | {
                    "Signature-Input": h["Signature-Input"] + ", b=" + h["Signature-Input"][10:],
                    "Signature": h["Signature"] + ", b=" + h["Signature"][10:],
                }
            ),
            "send exactly one signature",
        ),
        (
            lambda h: h | {"Signature-Input": h["Signature-Input"].replace(";alg=", ";x=1;alg=")},
            "parameters sharewell does not accept: x",
        ),
        (
            lambda h: (
                h | {"Signature-Input": re.sub(r";keyid=\"[^\"]+\"", "", h["Signature-Input"])}
            ),
            'The signature has no "keyid" parameter.',
        ),
        (
            lambda h: h | {"Signature-Input": re.sub(r";created=\d+", "", h["Signature-Input"])},
            'The signature has no "created" parameter.',
        ),
    ],
)
def test_malformed_signature_headers_are_refused(
    http: TestClient, partner: SigningClient, mangle: Any, detail: str
) -> None:
    assert_refused(send(http, mangle(partner.sign("POST", ECHO, BODY))), detail)


def test_a_refusal_spends_no_nonce(
    http: TestClient, partner: SigningClient, own_engine: Engine
) -> None:
    nonce = fresh_nonce()
    headers = partner.sign("POST", ECHO, BODY, nonce=nonce)
    assert_refused(send(http, headers, body=b"{}"), "does not match the Content-Digest")
    assert nonce not in nonces(own_engine, partner.key_id)
    assert send(http, headers).status_code == 200  # the genuine request still goes through


def test_a_concurrent_replay_is_refused(own_engine: Engine) -> None:
    """Two transactions carrying the same nonce at once: only the first can commit it.

    PostgreSQL makes the second insert wait for the first transaction, then refuses it as a
    replay. On SQLite the second waits for its turn at the write lock until the first has
    committed, then finds the nonce spent. Either way: the typed refusal, never a 500.
    """
    with db.transaction(own_engine) as session:
        client = register_client(session, name="Racing system")
    headers = client.sign("POST", "https://h/api/v1/x", BODY)
    request: dict[str, Any] = {
        "method": "POST",
        "url": "/api/v1/x",
        "headers": headers,
        "body": BODY,
    }
    outcome: list[BaseException | str] = []

    def second() -> None:
        try:
            with db.transaction(own_engine) as session:
                verify_signed_request(session, **request)
            outcome.append("accepted")
        except Exception as error:
            outcome.append(error)

    with db.transaction(own_engine) as first:
        verify_signed_request(first, **request)
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second transaction reaches its insert while the first is open
    racer.join(timeout=30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], NonceReplayed)
    assert nonces(own_engine, client.key_id) == {
        re.findall(r';nonce="([^"]+)"', headers["Signature-Input"])[0]
    }


# The window and the nonce store, with the clock in hand -----------------------------------

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
WINDOW = client_auth.DEFAULT_WINDOW


def verify(
    session: Session, client: SigningClient, *, created: dt.datetime, now: dt.datetime, nonce: str
) -> str:
    url = "/api/v1/requests"
    headers = client.sign(
        "POST", f"https://sharewell.example{url}", BODY, created=created, nonce=nonce
    )
    return verify_signed_request(
        session, method="POST", url=url, headers=headers, body=BODY, now=now
    ).key_id


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_created_within_the_window_either_way_is_accepted(session: Session, offset: int) -> None:
    client = register_client(session)
    created = NOW + dt.timedelta(seconds=offset)
    assert verify(session, client, created=created, now=NOW, nonce=fresh_nonce()) == client.key_id


@pytest.mark.parametrize(("offset", "error"), [(-301, SignatureTooOld), (301, SignatureFromFuture)])
def test_created_just_outside_the_window_is_refused(
    session: Session, offset: int, error: type[Exception]
) -> None:
    client = register_client(session)
    with pytest.raises(error):
        verify(
            session,
            client,
            created=NOW + dt.timedelta(seconds=offset),
            now=NOW,
            nonce=fresh_nonce(),
        )


def test_the_window_is_configurable(session: Session) -> None:
    client = register_client(session)
    url = "/api/v1/requests"
    headers = client.sign(
        "POST", f"https://h{url}", BODY, created=NOW - dt.timedelta(seconds=60), nonce=fresh_nonce()
    )
    with pytest.raises(SignatureTooOld, match="within 30 seconds"):
        verify_signed_request(
            session,
            method="POST",
            url=url,
            headers=headers,
            body=BODY,
            now=NOW,
            window=dt.timedelta(seconds=30),
        )


def test_a_replay_is_refused_for_as_long_as_its_created_time_passes(session: Session) -> None:
    client = register_client(session)
    nonce = fresh_nonce()
    created = NOW + WINDOW  # as far ahead as the server allows
    verify(session, client, created=created, now=NOW, nonce=nonce)
    # The latest moment a replay would pass the time check: created + window = NOW + 2 windows.
    later = NOW + 2 * WINDOW
    other = register_client(session)  # a request from another key prunes nothing of this key's
    verify(session, other, created=later, now=later, nonce=fresh_nonce())
    with pytest.raises(NonceReplayed):
        verify(session, client, created=created, now=later, nonce=nonce)


def test_nonces_are_pruned_once_no_replay_could_pass(session: Session) -> None:
    client = register_client(session)
    old, recent = fresh_nonce(), fresh_nonce()
    verify(session, client, created=NOW, now=NOW, nonce=old)
    verify(session, client, created=NOW + WINDOW, now=NOW + WINDOW, nonce=recent)
    later = NOW + 2 * WINDOW + dt.timedelta(seconds=1)
    verify(session, client, created=later, now=later, nonce=fresh_nonce())
    kept = set(
        session.scalars(select(ApiClientNonce.nonce).where(ApiClientNonce.key_id == client.key_id))
    )
    assert old not in kept
    assert recent in kept
    with pytest.raises(NonceReplayed):
        verify(session, client, created=NOW + WINDOW, now=NOW + WINDOW, nonce=recent)


def test_a_path_only_url_cannot_check_target_uri(session: Session) -> None:
    client = register_client(session)
    headers = client.sign(
        "POST", "https://h/api/v1/x", BODY, covered=("@method", "@target-uri", "content-digest")
    )
    with pytest.raises(client_auth.SignatureCoverageInvalid, match='covers "@target-uri"'):
        verify_signed_request(session, method="POST", url="/api/v1/x", headers=headers, body=BODY)


# The documented example verifies, byte for byte -------------------------------------------


def _docs_block(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if containing in block)


def test_the_documented_request_verifies(session: Session) -> None:
    public_pem = _docs_block("text", "BEGIN PUBLIC KEY").encode()
    wire = _docs_block("http", "Signature-Input")
    head, body = wire.split("\n\n", 1)
    request_line, *header_lines = head.splitlines()
    method, target, _ = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in header_lines)
    organisation(session, "northbridge-schools")
    client = client_auth.register_client(
        session,
        organisation_id="northbridge-schools",
        name="Docs example",
        public_key=client_auth.parse_public_key(public_pem),
    )
    assert client.key_id in headers["Signature-Input"]
    verified = verify_signed_request(
        session,
        method=method,
        url=target,
        headers=headers,
        body=body.rstrip("\n").encode(),
        now=NOW,
    )
    assert verified.key_id == client.key_id


def test_the_documented_signing_code_signs_what_sharewell_accepts(
    http: TestClient, partner: SigningClient
) -> None:
    namespace: dict[str, Any] = {}
    exec(_docs_block("python", "def sign("), namespace)  # noqa: S102 - our own documentation
    headers = namespace["sign"](
        "POST", ECHO, BODY, key_id=partner.key_id, private_key=partner.private_key
    )
    response = send(http, headers)
    assert response.status_code == 200, response.text


# Registering clients ---------------------------------------------------------------------


def _key_texts(private_key: Ed25519PrivateKey) -> dict[str, bytes]:
    public = private_key.public_key()
    raw = raw_public_key(private_key)
    return {
        "pem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "openssh": public.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ),
        "base64": base64.b64encode(raw),
        "base64url": base64.urlsafe_b64encode(raw).rstrip(b"="),
        "base64 with newline": base64.b64encode(raw) + b"\n",
    }


@pytest.mark.parametrize("form", ["pem", "openssh", "base64", "base64url", "base64 with newline"])
def test_public_keys_are_read_from_pem_openssh_and_base64(form: str) -> None:
    private_key = Ed25519PrivateKey.generate()
    assert client_auth.parse_public_key(_key_texts(private_key)[form]) == raw_public_key(
        private_key
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (base64.b64encode(b"x" * 31), "31 bytes"),
        (b"not a key!", "not PEM, OpenSSH or base64"),
        (b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----", "cannot be read"),
        (
            generate_private_key(public_exponent=65537, key_size=2048)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            "not an Ed25519 key",
        ),
    ],
)
def test_other_keys_are_refused(text: bytes, message: str) -> None:
    with pytest.raises(ApiClientInputInvalid, match=message):
        client_auth.parse_public_key(text)


def test_a_key_is_registered_once(session: Session) -> None:
    client = register_client(session)
    organisation(session, "southmere")
    with pytest.raises(ApiClientKeyTaken):
        client_auth.register_client(
            session,
            organisation_id="northbridge",
            name="Again",
            public_key=raw_public_key(client.private_key),
        )
    # The same key for another organisation has another key id, so that is allowed.
    other = client_auth.register_client(
        session,
        organisation_id="southmere",
        name="Shared",
        public_key=raw_public_key(client.private_key),
    )
    assert other.key_id.startswith("southmere.")


def test_a_client_needs_a_known_organisation_and_a_name(session: Session) -> None:
    key = raw_public_key(Ed25519PrivateKey.generate())
    with pytest.raises(OrganisationNotFound):
        client_auth.register_client(session, organisation_id="atlantis", name="X", public_key=key)
    organisation(session)
    with pytest.raises(ApiClientInputInvalid) as refused:
        client_auth.register_client(
            session, organisation_id="northbridge", name=" ", public_key=key[:31]
        )
    assert len(refused.value.problems) == 2


def test_revoking_is_idempotent_and_unknown_keys_are_not_found(session: Session) -> None:
    client = register_client(session)
    assert client_auth.revoke_client(session, client.key_id, now=NOW)
    assert not client_auth.revoke_client(session, client.key_id)
    revoked = client_auth.get_client(session, client.key_id)
    assert (revoked.status, revoked.revoked_at is not None) == ("revoked", True)
    with pytest.raises(ApiClientNotFound):
        client_auth.revoke_client(session, "northbridge.nosuchkey")
