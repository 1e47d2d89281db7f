"""Sharewell as an OpenID Connect client (authorization code flow with PKCE, state and nonce),
for citizens signing in with GOV.UK One Login or any OIDC provider.

Authlib runs the OAuth 2.0 exchange; joserfc checks the ID token (signature against the
provider's published keys, issuer, audience, expiry, nonce).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from sharewell.config import OidcSettings
from sharewell.errors import Busy, Unauthenticated

TIMEOUT_SECONDS = 5
DISCOVERY_LIFETIME_SECONDS = 3600
ID_TOKEN_ALGORITHMS = ["ES256", "RS256", "PS256", "EdDSA"]


class SignInServiceUnavailable(Busy):
    def __init__(self, issuer: str) -> None:
        super().__init__(
            f"The sign-in service ({issuer}) is not answering.",
            retry_after=30,
            hint="Try again in a minute. If you run this demo, start it with `make demo`, which "
            "starts the local sign-in service too.",
        )


class SignInRefused(Unauthenticated):
    """The provider's answer could not be trusted or said no: nobody is signed in."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"You could not be signed in: {reason}",
            hint="Go back to the sign-in page and try again.",
        )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser's session keeps between leaving for the provider and coming back."""

    state: str
    nonce: str
    code_verifier: str

    def to_session(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier}

    @classmethod
    def from_session(cls, value: object) -> PendingSignIn | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls(str(value["state"]), str(value["nonce"]), str(value["code_verifier"]))
        except KeyError:
            return None


@dataclass(frozen=True)
class VerifiedClaims:
    issuer: str
    sub: str
    name: str
    email: str
    nino: str | None


_discovered: dict[str, tuple[float, ProviderMetadata]] = {}
_discovery_lock = threading.Lock()


def _get_json(url: str, *, issuer: str, headers: dict[str, str] | None = None) -> Any:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, headers=headers)
    except requests.RequestException:
        raise SignInServiceUnavailable(issuer) from None
    if response.status_code >= 500:
        raise SignInServiceUnavailable(issuer)
    try:
        return response.json()
    except ValueError:
        raise SignInRefused("the sign-in service sent something that is not JSON.") from None


def discover(settings: OidcSettings) -> ProviderMetadata:
    """The provider's endpoints, from its discovery document (cached for an hour)."""
    with _discovery_lock:
        cached = _discovered.get(settings.issuer)
        if cached is not None and time.monotonic() - cached[0] < DISCOVERY_LIFETIME_SECONDS:
            return cached[1]
    document = _get_json(
        settings.issuer + "/.well-known/openid-configuration", issuer=settings.issuer
    )
    try:
        metadata = ProviderMetadata(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            userinfo_endpoint=document.get("userinfo_endpoint"),
        )
    except (KeyError, TypeError):
        raise SignInRefused("the sign-in service's discovery document is incomplete.") from None
    if metadata.issuer.rstrip("/") != settings.issuer.rstrip("/"):
        raise SignInRefused("the sign-in service names a different issuer.")
    with _discovery_lock:
        _discovered[settings.issuer] = (time.monotonic(), metadata)
    return metadata


def _client(settings: OidcSettings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scope=settings.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        default_timeout=TIMEOUT_SECONDS,
    )


def begin(settings: OidcSettings, redirect_uri: str) -> tuple[str, PendingSignIn]:
    """Where to send the browser, and what to remember until it comes back."""
    metadata = discover(settings)
    pending = PendingSignIn(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(48),
    )
    with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata.authorization_endpoint,
            state=pending.state,
            code_verifier=pending.code_verifier,
            nonce=pending.nonce,
        )
    return url, pending


def finish(
    settings: OidcSettings,
    redirect_uri: str,
    pending: PendingSignIn | None,
    params: dict[str, str],
) -> VerifiedClaims:
    """Check the provider's answer and the ID token; the claims of the person signed in."""
    if pending is None:
        raise SignInRefused("this sign-in was not started from this browser, or it took too long.")
    if not hmac.compare_digest(params.get("state", "").encode(), pending.state.encode()):
        raise SignInRefused("the answer from the sign-in service did not match this sign-in.")
    if "error" in params:
        if params["error"] == "access_denied":
            raise SignInRefused("you chose not to sign in.")
        raise SignInRefused(f"the sign-in service said {params['error']!r}.")
    code = params.get("code")
    if not code:
        raise SignInRefused("the sign-in service sent no authorisation code.")
    metadata = discover(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(
                metadata.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.code_verifier,
            )
    except requests.RequestException:
        raise SignInServiceUnavailable(settings.issuer) from None
    except AuthlibBaseError as refused:
        raise SignInRefused(
            f"the sign-in service refused the code ({refused.error or 'error'})."
        ) from None
    claims = _verified_id_token(settings, metadata, str(token.get("id_token", "")), pending.nonce)
    if metadata.userinfo_endpoint and token.get("access_token"):
        extra = _get_json(
            metadata.userinfo_endpoint,
            issuer=settings.issuer,
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        if isinstance(extra, dict) and extra.get("sub") == claims["sub"]:
            claims = {**extra, **claims}
    nino = claims.get(settings.nino_claim)
    return VerifiedClaims(
        issuer=metadata.issuer,
        sub=str(claims["sub"]),
        name=str(claims.get("name") or claims.get("email") or "you"),
        email=str(claims.get("email") or ""),
        nino=str(nino) if isinstance(nino, str) and nino else None,
    )


def _verified_id_token(
    settings: OidcSettings, metadata: ProviderMetadata, id_token: str, nonce: str
) -> dict[str, Any]:
    if not id_token:
        raise SignInRefused("the sign-in service sent no ID token.")
    keys = KeySet.import_key_set(_get_json(metadata.jwks_uri, issuer=settings.issuer))
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata.issuer},
        aud={"essential": True, "value": settings.client_id},
        sub={"essential": True},
        exp={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGORITHMS)
        registry.validate(token.claims)
    except (JoseError, ValueError) as invalid:
        raise SignInRefused(f"its ID token is not valid ({invalid.__class__.__name__}).") from None
    return dict(token.claims)
