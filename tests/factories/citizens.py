"""Citizens signing in for real: the local OpenID Connect provider on a real socket, and
helpers that go through the whole authorization code flow (no bypass)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from factories.serving import free_port, served
from sharewell.config import DEMO_OIDC_CLIENT_ID, DEMO_OIDC_CLIENT_SECRET, OidcSettings
from sharewell.demo.oidc_provider import ProviderState, build_provider

TEST_APP = "https://sharewell.test"  # the TestClient's base URL
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass
class LocalProvider:
    url: str
    state: ProviderState
    redirect_uris: list[str]

    def add_user(self, email: str, password: str, name: str, nino: str) -> None:
        self.state.add_user(email, password, name, nino)

    def allow(self, app_base_url: str) -> None:
        """Let an app at this address be sent back to (its /sign-in/callback)."""
        self.redirect_uris.append(app_base_url + "/sign-in/callback")
        self.state.add_client(DEMO_OIDC_CLIENT_ID, DEMO_OIDC_CLIENT_SECRET, self.redirect_uris)

    @property
    def settings(self) -> OidcSettings:
        return OidcSettings(issuer=self.url)


def oidc_settings(provider: LocalProvider) -> OidcSettings:
    """What `Settings(oidc=...)` needs for an app whose residents sign in at this provider."""
    return provider.settings


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[LocalProvider]:
    with served_provider() as provider:
        yield provider


@contextmanager
def served_provider() -> Iterator[LocalProvider]:
    """The provider on a free loopback port for as long as the with-block lasts."""
    port = free_port()  # the issuer must be known before the provider is built
    app, state = build_provider(f"http://127.0.0.1:{port}")
    with served(app, port=port) as url:
        provider = LocalProvider(url=url, state=state, redirect_uris=[])
        provider.allow(TEST_APP)
        yield provider


def provider_signs_in(
    authorize_url: str, email: str, password: str, *, action: str = "sign-in"
) -> httpx2.Response:
    """What a person does at the provider: open its page, give email and password."""
    with httpx2.Client(follow_redirects=False, timeout=10) as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        hidden = {k: html.unescape(v) for k, v in HIDDEN_INPUT.findall(page.text)}
        base = authorize_url.split("?", 1)[0]
        return http.post(
            base, data={**hidden, "email": email, "password": password, "action": action}
        )


def back_to_app(answer: httpx2.Response) -> str:
    """The app path (with query) the provider sends the browser back to."""
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["location"])
    return parts.path + ("?" + parts.query if parts.query else "")


def citizen_client(
    app: FastAPI, email: str, password: str, *, next_path: str = "/your-data"
) -> TestClient:
    """A browser signed in as this citizen, through the real sign-in flow."""
    client = TestClient(app, base_url=TEST_APP, follow_redirects=False)
    start = client.get("/sign-in/start", params={"next": next_path})
    assert start.status_code == 302, start.text
    done = client.get(back_to_app(provider_signs_in(start.headers["location"], email, password)))
    assert done.status_code == 303, done.text
    assert done.headers["location"] == next_path
    return client


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def citizen_signs_in(page: Page, base_url: str, email: str, password: str) -> None:
    """In a real browser: ask for your data, sign in at the provider, come back."""
    page.goto(base_url + "/your-data")
    assert page.locator("h1").inner_text() == "Sign in to see how your data is used"
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Your data"
