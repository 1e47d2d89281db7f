"""The demo's OpenID Connect provider speaks the real protocol, and refuses what One Login
would: unknown clients and return addresses, wrong passwords, a code used twice or late, a
PKCE verifier that does not match, a client that cannot authenticate."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote_plus, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.testclient import TestClient
from typer.testing import CliRunner

from sharewell.cli import app as cli
from sharewell.demo.oidc_provider import (
    CODE_LIFETIME_SECONDS,
    DemoUser,
    ProviderState,
    build_provider,
    read_users,
    write_users,
)
from web.pages import check_page

ISSUER = "http://provider.test"
CLIENT_ID = "a-client"
SECRET = "a secret: with/odd+characters"
CALLBACK = "https://app.test/sign-in/callback"
VERIFIER = "a-pkce-verifier-that-is-long-enough-to-be-a-real-one-0123456789"
ADA = DemoUser("ada@example.com", "ada's password", "Ada Lovelace", "QQ123456A")
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@pytest.fixture
def provider() -> Iterator[tuple[TestClient, ProviderState]]:
    app, state = build_provider(ISSUER + "/")
    state.add_client(CLIENT_ID, SECRET, [CALLBACK])
    state.add_user(ADA.email, ADA.password, ADA.name, ADA.nino)
    state.add_user("grace@example.com", "grace's password", "Grace Hopper", "QQ123456B")
    with TestClient(app, base_url=ISSUER, follow_redirects=False) as client:
        yield client, state


def authorisation(**changes: str) -> dict[str, str]:
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "the-state",
        "nonce": "the-nonce",
        "code_challenge": challenge(VERIFIER),
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v}


def answer_of(location: str) -> dict[str, str]:
    assert location.startswith(CALLBACK + "?"), location
    return dict(parse_qsl(urlsplit(location).query))


def signs_in(
    client: TestClient,
    email: str = ADA.email,
    password: str = ADA.password,
    **changes: str,
) -> dict[str, str]:
    """Open the sign-in page, post its form as a browser would; the answer sent back."""
    page = client.get("/authorize", params=authorisation(**changes))
    assert page.status_code == 200, page.text
    form = dict(HIDDEN_INPUT.findall(page.text))
    posted = client.post(
        "/authorize", data={**form, "email": email, "password": password, "action": "sign-in"}
    )
    assert posted.status_code == 302, posted.text
    return answer_of(posted.headers["location"])


def basic(client_id: str = CLIENT_ID, secret: str = SECRET) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def exchange(
    client: TestClient,
    code: str,
    *,
    headers: dict[str, str] | None = None,
    **changes: str,
) -> tuple[int, dict[str, object]]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        **changes,
    }
    answer = client.post(
        "/token",
        data={k: v for k, v in form.items() if v},
        headers=basic() if headers is None else headers,
    )
    return answer.status_code, answer.json()


# --------------------------------------------------------------------------- discovery


def test_discovery_names_the_endpoints_and_what_they_support(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    document = client.get("/.well-known/openid-configuration").json()
    assert document["issuer"] == ISSUER
    for endpoint in ("authorization", "token", "userinfo"):
        assert document[f"{endpoint}_endpoint"] == f"{ISSUER}/{endpoint.replace('ization', 'ize')}"
    assert document["jwks_uri"] == ISSUER + "/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]


def test_the_published_keys_are_public_only(provider: tuple[TestClient, ProviderState]) -> None:
    client, _ = provider
    (key,) = client.get("/jwks").json()["keys"]
    assert key["kty"] == "EC"
    assert key["alg"] == "ES256"
    assert "d" not in key


# --------------------------------------------------------------------------- the sign-in page


def test_the_sign_in_page_says_plainly_it_is_a_demo_stand_in(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    page = client.get("/authorize", params=authorisation())
    check_page(page.text)
    assert "stands in for GOV.UK One Login" in page.text
    assert 'href="/assets/govuk-frontend.min.css"' in page.text
    assert 'for="email"' in page.text
    assert 'for="password"' in page.text


def test_the_provider_serves_the_gov_uk_frontend_styles(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    styles = client.get("/assets/govuk-frontend.min.css")
    assert styles.status_code == 200
    assert "govuk-" in styles.text


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "someone-else"},
        {"redirect_uri": "https://evil.example/sign-in/callback"},
        {"redirect_uri": CALLBACK + "/"},  # a return address must match exactly
        {"redirect_uri": ""},
    ],
    ids=["unknown-client", "other-site", "not-exact", "none"],
)
def test_an_unknown_client_or_return_address_is_refused_without_a_redirect(
    provider: tuple[TestClient, ProviderState], changes: dict[str, str]
) -> None:
    client, _ = provider
    for method in ("GET", "POST"):
        params = authorisation(**changes)
        answer = (
            client.get("/authorize", params=params)
            if method == "GET"
            else client.post("/authorize", data={**params, "email": ADA.email, "password": "x"})
        )
        assert answer.status_code == 400
        assert "location" not in answer.headers
        check_page(answer.text)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "email"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
    ],
)
def test_a_bad_request_from_a_known_client_is_answered_at_its_return_address(
    provider: tuple[TestClient, ProviderState], changes: dict[str, str], error: str
) -> None:
    client, _ = provider
    answer = client.get("/authorize", params=authorisation(**changes))
    assert answer.status_code == 302
    assert answer_of(answer.headers["location"]) == {"error": error, "state": "the-state"}


@pytest.mark.parametrize(
    ("email", "password"),
    [(ADA.email, "not ada's password"), ("nobody@example.com", ADA.password), (ADA.email, "")],
)
def test_a_wrong_email_or_password_is_shown_again_with_an_error_and_gives_no_code(
    provider: tuple[TestClient, ProviderState], email: str, password: str
) -> None:
    client, state = provider
    page = client.get("/authorize", params=authorisation())
    form = dict(HIDDEN_INPUT.findall(page.text))
    again = client.post(
        "/authorize", data={**form, "email": email, "password": password, "action": "sign-in"}
    )
    assert again.status_code == 401
    check_page(again.text, has_errors=True)
    assert "The email address or password is wrong" in again.text
    assert state.codes == {}


def test_cancelling_answers_access_denied_with_the_state(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    page = client.get("/authorize", params=authorisation())
    form = dict(HIDDEN_INPUT.findall(page.text))
    answer = client.post("/authorize", data={**form, "action": "cancel"})
    assert answer_of(answer.headers["location"]) == {
        "error": "access_denied",
        "state": "the-state",
    }


def test_email_addresses_are_matched_without_regard_to_case(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    assert "code" in signs_in(client, email="  ADA@Example.com ")


# --------------------------------------------------------------------------- the token endpoint


def test_a_code_becomes_an_id_token_signed_by_the_published_key(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    answer = signs_in(client)
    assert answer["state"] == "the-state"
    status, tokens = exchange(client, answer["code"])
    assert status == 200, tokens
    assert tokens["token_type"] == "Bearer"
    keys = KeySet.import_key_set(client.get("/jwks").json())
    claims = jwt.decode(str(tokens["id_token"]), keys, algorithms=["ES256"]).claims
    jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == CLIENT_ID
    assert claims["nonce"] == "the-nonce"
    assert (claims["email"], claims["name"], claims["nino"]) == (ADA.email, ADA.name, ADA.nino)
    assert claims["sub"] == ADA.sub
    assert ADA.email not in claims["sub"]


def test_the_client_may_authenticate_in_the_form_instead(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    code = signs_in(client)["code"]
    status, tokens = exchange(client, code, headers={}, client_id=CLIENT_ID, client_secret=SECRET)
    assert status == 200, tokens
    assert "id_token" in tokens


@pytest.mark.parametrize(
    "headers",
    [
        basic(secret="not the secret"),
        basic(client_id="someone-else"),
        {"Authorization": "Basic not-base64!"},
        {},
    ],
    ids=["wrong-secret", "unknown-client", "garbled", "none"],
)
def test_a_client_that_cannot_authenticate_gets_nothing(
    provider: tuple[TestClient, ProviderState], headers: dict[str, str]
) -> None:
    client, _ = provider
    code = signs_in(client)["code"]
    assert exchange(client, code, headers=headers) == (401, {"error": "invalid_client"})
    # The code was not spent by the failed attempt: the real client can still use it.
    assert exchange(client, code)[0] == 200


def test_a_code_works_once(provider: tuple[TestClient, ProviderState]) -> None:
    client, _ = provider
    code = signs_in(client)["code"]
    assert exchange(client, code)[0] == 200
    assert exchange(client, code) == (400, {"error": "invalid_grant"})


@pytest.mark.parametrize(
    "changes",
    [
        {"code_verifier": "a-different-verifier-that-is-also-long-enough-0123456789"},
        {"code_verifier": ""},
        {"redirect_uri": "https://app.test/somewhere-else"},
    ],
    ids=["wrong-verifier", "no-verifier", "other-redirect-uri"],
)
def test_a_code_is_spent_by_a_failed_exchange(
    provider: tuple[TestClient, ProviderState], changes: dict[str, str]
) -> None:
    client, _ = provider
    code = signs_in(client)["code"]
    assert exchange(client, code, **changes) == (400, {"error": "invalid_grant"})
    assert exchange(client, code) == (400, {"error": "invalid_grant"})


def test_a_code_for_another_client_is_refused(provider: tuple[TestClient, ProviderState]) -> None:
    client, state = provider
    state.add_client("another-client", "another secret", [CALLBACK])
    code = signs_in(client)["code"]
    refused = exchange(client, code, headers=basic("another-client", "another secret"))
    assert refused == (400, {"error": "invalid_grant"})


def test_a_code_expires_within_a_minute(provider: tuple[TestClient, ProviderState]) -> None:
    client, state = provider
    code = signs_in(client)["code"]
    assert state.codes[code].expires - time.time() <= CODE_LIFETIME_SECONDS <= 60
    state.codes[code].expires = 0  # as if a minute had passed
    assert exchange(client, code) == (400, {"error": "invalid_grant"})


def test_pkce_is_optional_for_a_client_that_does_not_send_it(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    code = signs_in(client, code_challenge="", code_challenge_method="")["code"]
    assert exchange(client, code, code_verifier="")[0] == 200


def test_only_the_authorization_code_grant_is_offered(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    code = signs_in(client)["code"]
    assert exchange(client, code, grant_type="password") == (
        400,
        {"error": "unsupported_grant_type"},
    )


# --------------------------------------------------------------------------- userinfo, users


def test_userinfo_answers_for_the_access_token_only(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    _, tokens = exchange(client, signs_in(client)["code"])
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = client.get("/userinfo", headers=bearer).json()
    assert info == {
        "sub": ADA.sub,
        "email": ADA.email,
        "email_verified": True,
        "name": ADA.name,
    }
    assert client.get("/userinfo").status_code == 401
    assert client.get("/userinfo", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_each_person_has_their_own_stable_subject(
    provider: tuple[TestClient, ProviderState],
) -> None:
    client, _ = provider
    subjects = []
    for email, password in [
        (ADA.email, ADA.password),
        ("grace@example.com", "grace's password"),
        (ADA.email, ADA.password),
    ]:
        code = signs_in(client, email, password)["code"]
        subjects.append(jwt.decode(str(exchange(client, code)[1]["id_token"]), provider[1].key))
    ada, grace, ada_again = (s.claims["sub"] for s in subjects)
    assert ada == ada_again != grace


def test_the_users_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "oidc-users.json"
    users = [ADA, DemoUser("b@example.com", "pw", "B", "QQ123456B")]
    write_users(path, users)
    assert read_users(path) == users


def test_the_command_needs_a_users_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["demo", "oidc-provider", "--users", str(tmp_path / "missing.json")]
    )
    assert result.exit_code == 2
    assert "sharewell demo seed" in result.output
