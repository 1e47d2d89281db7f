"""Where sharewell keeps its state, read from the environment once per call."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

HOME_ENV = "SHAREWELL_HOME"
DATABASE_URL_ENV = "SHAREWELL_DATABASE_URL"


# The local OpenID Connect provider `make demo` starts (`sharewell demo oidc-provider`).
DEMO_OIDC_ISSUER = "http://127.0.0.1:8001"
DEMO_OIDC_CLIENT_ID = "sharewell-demo"
DEMO_OIDC_CLIENT_SECRET = "demo-client-secret-for-the-local-provider"  # noqa: S105 - published


@dataclass(frozen=True)
class OidcSettings:
    """Where citizens sign in: GOV.UK One Login, or any OpenID Connect provider."""

    issuer: str = DEMO_OIDC_ISSUER
    client_id: str = DEMO_OIDC_CLIENT_ID
    client_secret: str = DEMO_OIDC_CLIENT_SECRET
    # The claim carrying the person's verified National Insurance number. One Login does not
    # issue one: a deployment maps whichever verified identity claim its provider gives.
    nino_claim: str = "nino"
    scope: str = "openid email profile"
    redirect_uri: str | None = None  # default: /sign-in/callback on the address asked for


def oidc_from_environment() -> OidcSettings:
    defaults = OidcSettings()
    return OidcSettings(
        issuer=os.environ.get("SHAREWELL_OIDC_ISSUER", defaults.issuer).rstrip("/"),
        client_id=os.environ.get("SHAREWELL_OIDC_CLIENT_ID", defaults.client_id),
        client_secret=os.environ.get("SHAREWELL_OIDC_CLIENT_SECRET", defaults.client_secret),
        nino_claim=os.environ.get("SHAREWELL_OIDC_NINO_CLAIM", defaults.nino_claim),
        scope=os.environ.get("SHAREWELL_OIDC_SCOPE", defaults.scope),
        redirect_uri=os.environ.get("SHAREWELL_OIDC_REDIRECT_URI") or None,
    )


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    oidc: OidcSettings = field(default_factory=oidc_from_environment)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    home = Path(os.environ.get(HOME_ENV, "var")).resolve()
    url = os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{home / 'sharewell.db'}"
    return Settings(home=home, database_url=normalise_database_url(url))


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
