"""A small OpenID Connect provider for the demo and the tests: a stand-in for GOV.UK One Login.

It speaks the real protocol – discovery, the authorization code flow with PKCE (S256), client
authentication (client_secret_basic or client_secret_post), ES256-signed ID tokens, a JWKS and
userinfo – so sharewell's sign-in is the same code it runs against One Login. People sign in
with an email and password from a users file (`sharewell demo seed` writes one). It keeps its
codes and tokens in memory and makes a new signing key each time it starts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlencode

from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

CODE_LIFETIME_SECONDS = 60
TOKEN_LIFETIME_SECONDS = 600
ASSETS = Path(__file__).resolve().parents[1] / "web" / "static" / "govuk"


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    name: str
    nino: str

    @property
    def sub(self) -> str:
        # Stable per person, and not their email (as One Login's pairwise subject).
        return "urn:demo:" + hashlib.sha256(self.email.lower().encode()).hexdigest()[:24]


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    user: DemoUser
    nonce: str | None
    code_challenge: str | None
    expires: float
    used: bool = False


@dataclass
class ProviderState:
    issuer: str
    clients: dict[str, DemoClient] = field(default_factory=dict)
    users: dict[str, DemoUser] = field(default_factory=dict)
    codes: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, tuple[DemoUser, float]] = field(default_factory=dict)
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", auto_kid=True))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(self, email: str, password: str, name: str, nino: str) -> DemoUser:
        user = DemoUser(email=email, password=password, name=name, nino=nino)
        with self.lock:
            self.users[email.lower()] = user
        return user

    def add_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        with self.lock:
            self.clients[client_id] = DemoClient(client_id, client_secret, tuple(redirect_uris))


def read_users(path: Path) -> list[DemoUser]:
    """The users file: a JSON list of {email, password, name, nino}."""
    return [DemoUser(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]


def write_users(path: Path, users: list[DemoUser]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [
        {"email": u.email, "password": u.password, "name": u.name, "nino": u.nino} for u in users
    ]
    path.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")


_PAGE = """<!DOCTYPE html>
<html lang="en" class="govuk-template"><head><meta charset="utf-8">
<title>{title} – Demo sign-in (stands in for GOV.UK One Login)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/assets/images/favicon.ico">
<link rel="stylesheet" href="/assets/govuk-frontend.min.css"></head>
<body class="govuk-template__body">
<a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<header class="govuk-generic-header">
<div class="govuk-generic-header__container govuk-width-container">
<div class="govuk-generic-header__logo"><span class="govuk-generic-header__homepage-link">
Demo sign-in</span></div></div></header>
<div class="govuk-width-container"><main class="govuk-main-wrapper" id="main-content">
<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">{body}</div></div>
</main></div></body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=html.escape(title), body=body), status_code=status)


def _error_page(message: str, status: int = 400) -> HTMLResponse:
    return _page(
        "There is a problem",
        f'<h1 class="govuk-heading-l">There is a problem</h1>'
        f'<p class="govuk-body">{html.escape(message)}</p>',
        status,
    )


def _hidden(params: dict[str, str]) -> str:
    return "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )


AUTH_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def _sign_in_form(params: dict[str, str], *, email: str = "", error: str | None = None) -> str:
    summary = ""
    if error:
        summary = (
            '<div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert">'
            '<h2 class="govuk-error-summary__title">There is a problem</h2>'
            '<div class="govuk-error-summary__body">'
            '<ul class="govuk-list govuk-error-summary__list">'
            f'<li><a href="#email">{html.escape(error)}</a></li></ul></div></div></div>'
        )
    return (
        f'{summary}<h1 class="govuk-heading-l">Sign in</h1>'
        '<div class="govuk-inset-text">This is a demonstration sign-in service. It stands in for '
        "GOV.UK One Login and knows only made-up people.</div>"
        f'<form method="post" action="/authorize" novalidate>{_hidden(params)}'
        '<div class="govuk-form-group"><label class="govuk-label" for="email">Email address</label>'
        '<input class="govuk-input" id="email" name="email" type="email" autocomplete="email" '
        f'spellcheck="false" value="{html.escape(email)}"></div>'
        '<div class="govuk-form-group"><label class="govuk-label" for="password">Password</label>'
        '<input class="govuk-input" id="password" name="password" type="password" '
        'autocomplete="current-password"></div>'
        '<div class="govuk-button-group">'
        '<button type="submit" name="action" value="sign-in" class="govuk-button">Continue</button>'
        '<button type="submit" name="action" value="cancel" '
        'class="govuk-button govuk-button--secondary">Cancel</button></div></form>'
    )


def _checked_request(state: ProviderState, params: dict[str, str]) -> str | None:
    """Why an authorization request is refused outright (never redirected), or None."""
    client = state.clients.get(params.get("client_id", ""))
    if client is None:
        return "The service that sent you here is not known to this sign-in service."
    if params.get("redirect_uri") not in client.redirect_uris:
        return "The service that sent you here asked to return to an address it did not register."
    return None


def _back(params: dict[str, str], **answer: str) -> RedirectResponse:
    answer = {**answer, **({"state": params["state"]} if params.get("state") else {})}
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return RedirectResponse(params["redirect_uri"] + separator + urlencode(answer), 302)


def build_provider(issuer: str) -> tuple[Starlette, ProviderState]:
    state = ProviderState(issuer=issuer.rstrip("/"))

    async def discovery(_: Request) -> Response:
        base = state.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "userinfo_endpoint": f"{base}/userinfo",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "email", "profile"],
                "claims_supported": ["sub", "email", "email_verified", "name", "nino"],
            }
        )

    async def authorize(request: Request) -> Response:
        source = request.query_params if request.method == "GET" else await request.form()
        params = {k: str(source[k]) for k in AUTH_PARAMS if k in source}
        refused = _checked_request(state, params)
        if refused:
            return _error_page(refused)
        if params.get("response_type") != "code":
            return _back(params, error="unsupported_response_type")
        if "openid" not in params.get("scope", "").split():
            return _back(params, error="invalid_scope")
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return _back(params, error="invalid_request")
        if request.method == "GET":
            return _page("Sign in", _sign_in_form(params))
        if source.get("action") == "cancel":
            return _back(params, error="access_denied")
        email = str(source.get("email", "")).strip().lower()
        user = state.users.get(email)
        password = str(source.get("password", ""))
        if user is None or not hmac.compare_digest(password.encode(), user.password.encode()):
            return _page(
                "Error: Sign in",
                _sign_in_form(params, email=email, error="The email address or password is wrong"),
                401,
            )
        code = secrets.token_urlsafe(32)
        with state.lock:
            now = time.time()
            for stale in [c for c, g in state.codes.items() if g.expires < now]:
                del state.codes[stale]
            state.codes[code] = _Grant(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                user=user,
                nonce=params.get("nonce"),
                code_challenge=params.get("code_challenge"),
                expires=time.time() + CODE_LIFETIME_SECONDS,
            )
        return _back(params, code=code)

    def _token_error(error: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": error}, status_code=status)

    async def token(request: Request) -> Response:
        form = await request.form()
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
            except ValueError:
                return _token_error("invalid_client", 401)
            # RFC 6749 §2.3.1: both halves are form-encoded before they are joined.
            encoded_id, _, encoded_secret = decoded.partition(":")
            client_id, secret = unquote_plus(encoded_id), unquote_plus(encoded_secret)
        client = state.clients.get(client_id)
        if client is None or not hmac.compare_digest(
            secret.encode(), client.client_secret.encode()
        ):
            return _token_error("invalid_client", 401)
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type")
        with state.lock:
            grant = state.codes.get(str(form.get("code", "")))
            if grant is None or grant.used or grant.expires < time.time():
                return _token_error("invalid_grant")
            grant.used = True  # a code works once, even if this exchange then fails
        if grant.client_id != client_id or grant.redirect_uri != form.get("redirect_uri"):
            return _token_error("invalid_grant")
        if grant.code_challenge is not None:
            verifier = str(form.get("code_verifier", ""))
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not hmac.compare_digest(expected.encode(), grant.code_challenge.encode()):
                return _token_error("invalid_grant")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": state.issuer,
            "sub": grant.user.sub,
            "aud": client_id,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECONDS,
            "auth_time": now,
            "email": grant.user.email,
            "email_verified": True,
            "name": grant.user.name,
            "nino": grant.user.nino,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        id_token = jwt.encode({"alg": "ES256", "kid": state.key.kid}, claims, state.key)
        access_token = secrets.token_urlsafe(32)
        with state.lock:
            state.tokens[access_token] = (grant.user, time.time() + TOKEN_LIFETIME_SECONDS)
        return JSONResponse(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME_SECONDS,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def jwks(_: Request) -> Response:
        return JSONResponse({"keys": [state.key.as_dict(private=False, use="sig", alg="ES256")]})

    async def userinfo(request: Request) -> Response:
        header = request.headers.get("authorization", "")
        found = state.tokens.get(header[7:]) if header.lower().startswith("bearer ") else None
        if found is None or found[1] < time.time():
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        user = found[0]
        return JSONResponse(
            {"sub": user.sub, "email": user.email, "email_verified": True, "name": user.name}
        )

    app = Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/jwks", jwks),
            Route("/userinfo", userinfo, methods=["GET", "POST"]),
            Mount("/assets", StaticFiles(directory=ASSETS, check_dir=False)),
        ]
    )
    return app, state
