"""The one ASGI app: public register now; citizen portal, staff portal and JSON API to come."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sharewell import db
from sharewell.accounts import citizen_views
from sharewell.accounts import views as accounts_views
from sharewell.broker import api as broker_api
from sharewell.broker import client_views as broker_client_views
from sharewell.broker import views as broker_views
from sharewell.config import Settings, load_settings
from sharewell.ledger import api as ledger_api
from sharewell.ledger import views as ledger_views
from sharewell.ledger.keys import load_signer, signing_key_path
from sharewell.ledger.sequencer import DEFAULT_INTERVAL_SECONDS, Sequencer
from sharewell.notifications import views as notifications_views
from sharewell.register import admin_views as register_admin_views
from sharewell.register import api as register_api
from sharewell.register import dpo_views
from sharewell.register import views as register_views
from sharewell.trail import views as trail_views
from sharewell.web.access import public
from sharewell.web.errors import install_error_handlers
from sharewell.web.sessions import install_sessions
from sharewell.web.templating import build_templates

STATIC_DIR = Path(__file__).parent / "static"
GOVUK_ASSETS_DIR = STATIC_DIR / "govuk"

# The GOV.UK template's one inline script (it marks the body as js-enabled); CSP allows it by hash.
_GOVUK_INLINE_SCRIPT = (
    "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype"
    " ? ' govuk-frontend-supported' : '');"
)
_INLINE_HASH = base64.b64encode(hashlib.sha256(_GOVUK_INLINE_SCRIPT.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'self'; script-src 'self' 'sha256-{_INLINE_HASH}'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


_SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


# Static assets may be cached; nothing else is unless its view says so (the log's immutable
# tiles do). So a page with someone's data can never be kept by a browser or a proxy because
# its view forgot to say no.
_CACHEABLE_PREFIXES = ("/assets/", "/static/")
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Adds the security headers to every response that has not set its own, and
    ``Cache-Control: no-store`` to every response but static assets that has not set one
    (plain ASGI: Starlette's BaseHTTPMiddleware costs a task and a stream per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        defaults = list(_SECURITY_HEADERS)
        if not scope["path"].startswith(_CACHEABLE_PREFIXES):
            defaults.append(_NO_STORE)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in defaults if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


def _lifespan_with_sequencer(
    settings: Settings, engine: Engine
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Run the ledger's sequencer beside the app when this installation has a signing key."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sequencer = None
        enabled = os.environ.get("SHAREWELL_SEQUENCER", "on") != "off"
        if enabled and signing_key_path(settings).exists():
            interval = float(
                os.environ.get("SHAREWELL_CHECKPOINT_INTERVAL", DEFAULT_INTERVAL_SECONDS)
            )
            sequencer = Sequencer(engine, load_signer(settings), interval=interval)
            sequencer.start()
        try:
            yield
        finally:
            if sequencer is not None:
                sequencer.stop()

    return lifespan


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or load_settings()
    engine = engine or db.engine_for(settings)
    app = FastAPI(
        lifespan=_lifespan_with_sequencer(settings, engine),
        title="Sharewell",
        version="0.1.0",
        summary="Lawful sharing of benefit data, with a ledger every citizen can check.",
        docs_url=None,  # Swagger UI loads from a CDN; the OpenAPI document is enough
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = db.session_factory(engine)
    app.state.templates = build_templates()
    app.add_middleware(SecurityHeaders)
    install_sessions(app, settings)
    install_error_handlers(app)
    app.include_router(register_views.router)
    app.include_router(register_api.router)
    app.include_router(ledger_api.router)
    app.include_router(broker_api.router)
    app.include_router(accounts_views.router)
    app.include_router(broker_views.router)
    app.include_router(register_admin_views.router)
    app.include_router(broker_client_views.router)
    app.include_router(citizen_views.router)
    app.include_router(trail_views.router)
    app.include_router(dpo_views.router)
    app.include_router(notifications_views.router)
    app.include_router(ledger_views.router)

    @app.get("/healthz", dependencies=[Depends(public)], response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    app.mount("/assets", StaticFiles(directory=GOVUK_ASSETS_DIR, check_dir=False), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
