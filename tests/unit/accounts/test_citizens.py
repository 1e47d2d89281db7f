"""Citizen accounts: a provider identity linked once to the subject its NINO names; sessions
the server keeps (only a hash), that expire and end. And sharewell as an OpenID Connect client
refusing every ID token it should not trust, from a provider that lies on a real socket."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from factories.serving import served
from sharewell.accounts import citizens, oidc
from sharewell.accounts.models import CitizenAccount, CitizenSession
from sharewell.config import DEMO_OIDC_CLIENT_ID, OidcSettings
from sharewell.consent import services as consent
from sharewell.demo.oidc_provider import ProviderState, build_provider

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
ISSUER = "https://sign-in.example"
ADA = oidc.VerifiedClaims(
    issuer=ISSUER, sub="urn:ada", name="Ada Lovelace", email="ada@example.com", nino="AB123456C"
)


def count(session: Session, table: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


# --------------------------------------------------------------------------- linking


def test_a_first_sign_in_makes_the_subject_its_nino_names(session: Session) -> None:
    account = citizens.link_account(session, ADA, now=NOW)
    assert account.subject_id == consent.resolve_subject(session, "nino", "AB 12 34 56 C").id
    assert (account.issuer, account.sub) == (ISSUER, "urn:ada")


def test_a_first_sign_in_links_to_the_subject_already_held(session: Session) -> None:
    held = consent.resolve_subject(session, "nino", ADA.nino or "", create=True)
    assert citizens.link_account(session, ADA, now=NOW).subject_id == held.id


def test_a_second_sign_in_finds_the_same_account_whatever_the_claims_say_now(
    session: Session,
) -> None:
    first = citizens.link_account(session, ADA, now=NOW)
    later = NOW + dt.timedelta(days=3)
    changed = oidc.VerifiedClaims(ISSUER, "urn:ada", "Ada King", "ada@example.org", None)
    again = citizens.link_account(session, changed, now=later)
    assert again.id == first.id
    assert again.subject_id == first.subject_id
    assert again.last_signed_in_at == later
    assert count(session, CitizenAccount) == 1


def test_the_same_person_through_another_provider_is_the_same_subject(session: Session) -> None:
    first = citizens.link_account(session, ADA, now=NOW)
    elsewhere = oidc.VerifiedClaims(
        "https://other.example", "ada-there", ADA.name, ADA.email, ADA.nino
    )
    other = citizens.link_account(session, elsewhere, now=NOW)
    assert other.id != first.id
    assert other.subject_id == first.subject_id


@pytest.mark.parametrize(
    ("nino", "reason"),
    [(None, "did not include"), ("not a nino", "is not valid")],
)
def test_a_first_sign_in_without_a_valid_nino_is_refused_and_stores_nothing(
    session: Session, nino: str | None, reason: str
) -> None:
    claims = oidc.VerifiedClaims(ISSUER, "urn:nobody", "No One", "", nino)
    with pytest.raises(oidc.SignInRefused, match=reason):
        citizens.link_account(session, claims, now=NOW)
    assert count(session, CitizenAccount) == 0


def test_an_identity_is_linked_once(session: Session) -> None:
    account = citizens.link_account(session, ADA, now=NOW)
    twin = CitizenAccount(
        issuer=ISSUER,
        sub="urn:ada",
        subject_id=account.subject_id,
        created_at=NOW,
        last_signed_in_at=NOW,
    )
    savepoint = session.begin_nested()
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()


# --------------------------------------------------------------------------- sessions


@pytest.fixture
def signed_in(session: Session) -> tuple[Session, str, CitizenAccount]:
    account = citizens.link_account(session, ADA, now=NOW)
    return session, citizens.open_session(session, account, ADA, now=NOW), account


def test_the_server_keeps_only_the_hash_of_the_session_token(
    signed_in: tuple[Session, str, CitizenAccount],
) -> None:
    session, token, account = signed_in
    stored = session.scalars(select(CitizenSession)).one()
    assert stored.id == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.id
    assert stored.account_id == account.id
    assert citizens.signed_in(session, token, now=NOW) == citizens.CitizenIdentity(
        subject_id=account.subject_id, name=ADA.name, email=ADA.email
    )
    assert citizens.signed_in(session, token + "x", now=NOW) is None


def test_a_session_lasts_eight_hours(signed_in: tuple[Session, str, CitizenAccount]) -> None:
    session, token, _ = signed_in
    assert dt.timedelta(hours=8) == citizens.SESSION_LIFETIME
    almost = NOW + citizens.SESSION_LIFETIME - dt.timedelta(seconds=1)
    assert citizens.signed_in(session, token, now=almost) is not None
    assert citizens.signed_in(session, token, now=NOW + citizens.SESSION_LIFETIME) is None


def test_a_closed_session_stays_closed(signed_in: tuple[Session, str, CitizenAccount]) -> None:
    session, token, account = signed_in
    other = citizens.open_session(session, account, ADA, now=NOW)  # another device
    citizens.close_session(session, token, now=NOW)
    citizens.close_session(session, token, now=NOW + dt.timedelta(minutes=1))  # harmless
    citizens.close_session(session, "never-issued", now=NOW)
    assert citizens.signed_in(session, token, now=NOW) is None
    assert citizens.signed_in(session, other, now=NOW) is not None


# --------------------------------------------------------------------------- the OIDC client

REDIRECT_URI = "https://sharewell.test/sign-in/callback"
PENDING = oidc.PendingSignIn(state="the-state", nonce="the-nonce", code_verifier="v" * 50)
ANSWER = {"state": "the-state", "code": "any-code"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LyingProvider:
    """The local provider's discovery and keys, with a token endpoint that answers whatever
    ID token the test puts in `id_token`."""

    url: str
    state: ProviderState
    id_token: str = ""

    @property
    def settings(self) -> OidcSettings:
        return OidcSettings(issuer=self.url)

    def claims(self, **changes: object) -> dict[str, object]:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.url,
            "aud": DEMO_OIDC_CLIENT_ID,
            "sub": "urn:ada",
            "iat": now,
            "exp": now + 300,
            "nonce": PENDING.nonce,
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "nino": "AB123456C",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def signed(self, claims: dict[str, object], key: ECKey | None = None) -> str:
        key = key or self.state.key
        return jwt.encode({"alg": "ES256", "kid": self.state.key.kid}, claims, key)


@pytest.fixture(scope="module")
def liar() -> Iterator[LyingProvider]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    real, state = build_provider(url)
    provider = LyingProvider(url, state)

    async def token(_: Request) -> Response:
        return JSONResponse(
            {"access_token": "not-known", "token_type": "Bearer", "id_token": provider.id_token}
        )

    app = Starlette(routes=[Route("/token", token, methods=["POST"]), Mount("/", real)])
    with served(app, port=port):
        yield provider


def finish(liar: LyingProvider, id_token: str, **settings: str) -> oidc.VerifiedClaims:
    liar.id_token = id_token
    chosen = OidcSettings(issuer=liar.url, **settings)
    return oidc.finish(chosen, REDIRECT_URI, PENDING, dict(ANSWER))


def test_an_honest_id_token_gives_the_persons_claims(liar: LyingProvider) -> None:
    claims = finish(liar, liar.signed(liar.claims()))
    assert claims == oidc.VerifiedClaims(
        liar.url, "urn:ada", "Ada Lovelace", "ada@example.com", "AB123456C"
    )


def test_the_nino_claim_is_the_one_configured(liar: LyingProvider) -> None:
    token = liar.signed(liar.claims(nino=None, national_insurance_number="CE654321A"))
    assert finish(liar, token).nino is None
    assert finish(liar, token, nino_claim="national_insurance_number").nino == "CE654321A"


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}."


FORGERIES = {
    "another-audience": lambda p: p.signed(p.claims(aud="another-service")),
    "another-issuer": lambda p: p.signed(p.claims(iss="https://evil.example")),
    "expired": lambda p: p.signed(p.claims(exp=int(time.time()) - 60)),
    "another-nonce": lambda p: p.signed(p.claims(nonce="replayed-nonce")),
    "no-nonce": lambda p: p.signed(p.claims(nonce=None)),
    "no-subject": lambda p: p.signed(p.claims(sub=None)),
    "another-key": lambda p: p.signed(p.claims(), ECKey.generate_key("P-256")),
    "unsigned": lambda p: _unsigned(p.claims()),
    "hmac-with-the-public-key": lambda p: jwt.encode(
        {"alg": "HS256", "kid": p.state.key.kid},
        p.claims(),
        OctKey.import_key(json.dumps(p.state.key.as_dict(private=False)).encode()),
    ),
    "garbage": lambda _: "not.a.token",
    "none-at-all": lambda _: "",
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_an_id_token_that_cannot_be_trusted_is_refused(liar: LyingProvider, forgery: str) -> None:
    with pytest.raises(oidc.SignInRefused, match="ID token"):
        finish(liar, FORGERIES[forgery](liar))


@pytest.mark.parametrize(
    ("pending", "answer", "reason"),
    [
        (None, ANSWER, "not started from this browser"),
        (PENDING, {**ANSWER, "state": "another-state"}, "did not match"),
        (PENDING, {"code": "any-code"}, "did not match"),
        (PENDING, {"state": "the-state", "error": "access_denied"}, "chose not to sign in"),
        (PENDING, {"state": "the-state", "error": "server_error"}, "server_error"),
        (PENDING, {"state": "the-state"}, "no authorisation code"),
    ],
    ids=["not-started", "other-state", "no-state", "denied", "provider-error", "no-code"],
)
def test_an_answer_that_is_not_for_this_sign_in_is_refused_before_any_exchange(
    liar: LyingProvider,
    pending: oidc.PendingSignIn | None,
    answer: dict[str, str],
    reason: str,
) -> None:
    liar.id_token = liar.signed(liar.claims())
    with pytest.raises(oidc.SignInRefused, match=reason):
        oidc.finish(liar.settings, REDIRECT_URI, pending, answer)


def test_a_provider_that_does_not_answer_is_unavailable_not_an_error() -> None:
    down = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(oidc.SignInServiceUnavailable) as raised:
        oidc.begin(down, REDIRECT_URI)
    assert raised.value.retry_after > 0


def test_a_discovery_document_for_another_issuer_is_refused() -> None:
    async def discovery(_: Request) -> Response:
        return JSONResponse(
            {
                "issuer": "https://evil.example",
                "authorization_endpoint": "https://evil.example/authorize",
                "token_endpoint": "https://evil.example/token",
                "jwks_uri": "https://evil.example/jwks",
            }
        )

    app = Starlette(routes=[Route("/.well-known/openid-configuration", discovery)])
    with served(app) as url, pytest.raises(oidc.SignInRefused, match="different issuer"):
        oidc.begin(OidcSettings(issuer=url), REDIRECT_URI)


def test_the_authorisation_url_carries_state_nonce_and_an_s256_challenge(
    liar: LyingProvider,
) -> None:
    url, pending = oidc.begin(liar.settings, REDIRECT_URI)
    assert url.startswith(liar.url + "/authorize?")
    assert f"state={pending.state}" in url
    assert f"nonce={pending.nonce}" in url
    digest = hashlib.sha256(pending.code_verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert f"code_challenge={challenge}" in url
    assert "code_challenge_method=S256" in url
    assert pending.code_verifier not in url
    assert oidc.PendingSignIn.from_session(pending.to_session()) == pending
    assert oidc.PendingSignIn.from_session({"state": "only"}) is None
