"""Citizen sign-in over real HTTP against the local OpenID Connect provider: the sessions it
opens (cookie flags, a fresh CSRF token, expiry, sign-out that a copied cookie cannot
outlive), the answers it refuses (with a page that says what to do and signs nobody in), a
provider that is down, and a resident signing in and out in a real browser, with JavaScript on
and off. (test_citizen_portal.py covers state, nonce and PKCE on the way out, tampered state,
replay, and a missing NINO.)"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine, select, update

from factories.browser import check_page_in_browser
from factories.citizens import (
    TEST_APP,
    LocalProvider,
    back_to_app,
    citizen_client,
    citizen_signs_in,
    oidc_settings,
    provider_signs_in,
)
from factories.databases import fresh_database, migrated_engine
from factories.portal import CITIZEN_PASSWORD, build_borough
from factories.serving import served
from factories.staff import csrf
from factories.web import DEMO_RESIDENT
from sharewell import db
from sharewell.accounts import citizen_views
from sharewell.accounts.models import CitizenAccount, CitizenSession
from sharewell.config import OidcSettings, Settings
from sharewell.consent import services as consent
from sharewell.ledger import services as ledger
from sharewell.ledger.keys import ensure_signing_key
from sharewell.web.app import create_app
from sharewell.web.sessions import COOKIE, SECURE_COOKIES_ENV
from web.pages import check_page

# Residents of this module only (none is in the borough's records: sign-in makes their subject).
MAY = {"email": "may@example.com", "name": "May Morris", "nino": "ER135790A"}
NED = {"email": "ned@example.com", "name": "Ned Ludd", "nino": "GH246802B"}
IDA = {"email": "ida@example.com", "name": "Ida Wells", "nino": "KL112233C"}
OLA = {"email": "ola@example.com", "name": "Ola Browser", "nino": "MN445566D"}
PIA = {"email": "pia@example.com", "name": "Pia No-Script", "nino": "PR778899A"}


@dataclass
class World:
    app: FastAPI
    engine: Engine
    settings: Settings
    provider: LocalProvider


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, oidc_provider: LocalProvider
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("sign-in")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        settings = Settings(home=home, database_url=url, oidc=oidc_settings(oidc_provider))
        signer, _ = ensure_signing_key(settings)
        with db.transaction(engine) as session:
            build_borough(session, home)
            ledger.integrate(session, signer)
        for person in (MAY, NED, IDA, OLA, PIA):
            oidc_provider.add_user(
                person["email"], CITIZEN_PASSWORD, person["name"], person["nino"]
            )
        yield World(create_app(settings, engine=engine), engine, settings, oidc_provider)
        engine.dispose()


def signed_out(world: World) -> TestClient:
    return TestClient(world.app, base_url=TEST_APP, follow_redirects=False)


def sessions_of(world: World, email: str) -> list[CitizenSession]:
    """This person's sessions on the server, oldest first."""
    with db.transaction(world.engine) as session:
        return list(
            session.scalars(
                select(CitizenSession)
                .where(CitizenSession.email == email)
                .order_by(CitizenSession.created_at)
            ).all()
        )


def session_of(client: TestClient) -> dict[str, str]:
    """What the signed session cookie carries (itsdangerous: base64 JSON, then its signature)."""
    payload = client.cookies[COOKIE].split(".", 1)[0]
    decoded: dict[str, str] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


# --------------------------------------------------------------------------- signing in


def test_a_resident_signs_in_and_sees_who_is_signed_in(world: World) -> None:
    client = citizen_client(world.app, MAY["email"], CITIZEN_PASSWORD, next_path="/account")
    page = client.get("/account")
    assert page.status_code == 200
    check_page(page.text)
    assert "Signed in as May Morris" in page.text
    assert MAY["email"] in page.text
    assert 'action="/sign-out"' in page.text
    assert csrf(page.text)


def test_a_first_sign_in_makes_the_subject_the_nino_names(world: World) -> None:
    citizen_client(world.app, NED["email"], CITIZEN_PASSWORD)
    with db.transaction(world.engine) as session:
        subject = consent.resolve_subject(session, "nino", NED["nino"])
        linked = session.scalars(
            select(CitizenAccount).where(CitizenAccount.subject_id == subject.id)
        ).all()
    assert [account.issuer for account in linked] == [world.provider.url]


def test_the_session_cookie_is_http_only_same_site_and_holds_no_name(world: World) -> None:
    client = signed_out(world)
    start = client.get("/sign-in/start")
    done = client.get(
        back_to_app(provider_signs_in(start.headers["location"], MAY["email"], CITIZEN_PASSWORD))
    )
    cookie = done.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert "path=/" in cookie.lower()
    assert "secure" not in cookie.lower()  # off for the demo on http://127.0.0.1
    assert set(session_of(client)) == {"csrf", "citizen"}  # random tokens only, no personal data


def test_behind_https_the_session_cookie_is_secure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECURE_COOKIES_ENV, "on")
    app = create_app(world.settings, engine=world.engine)
    client = TestClient(app, base_url=TEST_APP, follow_redirects=False)
    start = client.get("/sign-in/start")
    done = client.get(
        back_to_app(provider_signs_in(start.headers["location"], MAY["email"], CITIZEN_PASSWORD))
    )
    assert done.status_code == 303
    assert "secure" in done.headers["set-cookie"].lower()


def test_signing_in_starts_a_fresh_session_with_a_fresh_csrf_token(world: World) -> None:
    client = signed_out(world)
    client.get("/sign-in")
    before = session_of(client)
    start = client.get("/sign-in/start")
    assert set(session_of(client)) == {"csrf", "oidc"}  # what the callback will check
    client.get(
        back_to_app(provider_signs_in(start.headers["location"], IDA["email"], CITIZEN_PASSWORD))
    )
    after = session_of(client)
    assert set(after) == {"csrf", "citizen"}
    assert after["csrf"] != before["csrf"]
    assert csrf(client.get("/account").text) == after["csrf"]
    stored = {s.id for s in sessions_of(world, IDA["email"])}
    assert hashlib.sha256(after["citizen"].encode()).hexdigest() in stored
    assert after["citizen"] not in stored


def test_a_stolen_code_is_useless_in_another_browser_even_with_its_own_state(
    world: World,
) -> None:
    victim, attacker = signed_out(world), signed_out(world)
    stolen = back_to_app(
        provider_signs_in(
            victim.get("/sign-in/start").headers["location"], IDA["email"], CITIZEN_PASSWORD
        )
    )
    code = re.search(r"code=([^&]+)", stolen)
    assert code
    own_state = re.search(r"state=([^&]+)", attacker.get("/sign-in/start").headers["location"])
    assert own_state
    # The attacker's own state matches, but their PKCE verifier does not fit the victim's code.
    answer = attacker.get(f"/sign-in/callback?code={code.group(1)}&state={own_state.group(1)}")
    assert answer.status_code == 401
    assert "refused the code" in answer.text
    assert attacker.get("/account").status_code == 303


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "evil.example",
        "/\t/evil.example",
        " //evil.example",
    ],
)
def test_a_next_that_leaves_the_site_is_ignored_everywhere(world: World, next_path: str) -> None:
    client = signed_out(world)
    page = client.get("/sign-in", params={"next": next_path})
    assert 'href="/sign-in/start?next=%2Fyour-data"' in page.text
    start = client.get("/sign-in/start", params={"next": next_path})
    done = client.get(
        back_to_app(provider_signs_in(start.headers["location"], MAY["email"], CITIZEN_PASSWORD))
    )
    assert done.headers["location"] == "/your-data"


def test_a_next_on_this_site_is_kept_with_its_query(world: World) -> None:
    wanted = "/your-data?outcome=deny"
    client = citizen_client(world.app, MAY["email"], CITIZEN_PASSWORD, next_path=wanted)
    assert client.get(wanted).status_code == 200


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(world: World) -> None:
    answer = signed_out(world).get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Faccount"


# --------------------------------------------------------------------------- refused answers


def test_choosing_not_to_sign_in_shows_a_way_back_and_keeps_where_you_were_going(
    world: World,
) -> None:
    client = signed_out(world)
    start = client.get("/sign-in/start", params={"next": "/your-data/choices"})
    cancelled = provider_signs_in(start.headers["location"], "", "", action="cancel")
    assert "error=access_denied" in cancelled.headers["location"]
    page = client.get(back_to_app(cancelled))
    assert page.status_code == 401
    check_page(page.text)
    assert "You are not signed in" in page.text
    assert "you chose not to sign in" in page.text
    assert 'href="/sign-in?next=%2Fyour-data%2Fchoices"' in page.text
    assert client.get("/account").status_code == 303


def test_a_callback_nobody_started_signs_nobody_in(world: World) -> None:
    page = signed_out(world).get("/sign-in/callback?code=x&state=y")
    assert page.status_code == 401
    assert "was not started from this browser" in page.text


def test_a_sign_in_left_too_long_at_the_provider_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_out(world)
    start = client.get("/sign-in/start")
    callback = back_to_app(
        provider_signs_in(start.headers["location"], MAY["email"], CITIZEN_PASSWORD)
    )
    monkeypatch.setattr(citizen_views, "PENDING_SECONDS", 0)
    assert client.get(callback).status_code == 401
    assert client.get("/account").status_code == 303


def test_a_wrong_password_at_the_provider_is_shown_there_and_signs_nobody_in(
    world: World,
) -> None:
    client = signed_out(world)
    start = client.get("/sign-in/start")
    answer = provider_signs_in(start.headers["location"], MAY["email"], "a guess")
    assert answer.status_code == 401
    check_page(answer.text, has_errors=True)
    assert "location" not in answer.headers
    assert client.get("/account").status_code == 303


def test_while_the_sign_in_service_is_down_the_site_still_works_and_says_what_to_do(
    world: World,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nothing_there = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings = Settings(
        home=world.settings.home,
        database_url=world.settings.database_url,
        oidc=OidcSettings(issuer=nothing_there),
    )
    client = TestClient(create_app(settings, engine=world.engine), base_url=TEST_APP)
    assert client.get("/sign-in").status_code == 200
    answer = client.get("/sign-in/start", follow_redirects=False)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "30"
    check_page(answer.text)
    assert "The sign-in service is not answering" in answer.text
    assert "Try again in a minute" in answer.text
    assert client.get("/account", follow_redirects=False).status_code == 303


# --------------------------------------------------------------------------- sessions


def test_a_session_ends_after_eight_hours(world: World) -> None:
    client = citizen_client(world.app, NED["email"], CITIZEN_PASSWORD)
    opened = sessions_of(world, NED["email"])[-1]
    assert opened.expires_at - opened.created_at == dt.timedelta(hours=8)
    assert client.get("/account").status_code == 200
    with db.transaction(world.engine) as session:
        session.execute(
            update(CitizenSession)
            .where(CitizenSession.id == opened.id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    answer = client.get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Faccount"


@pytest.mark.parametrize("token", [None, "", "forged-token"], ids=["missing", "empty", "forged"])
def test_signing_out_needs_this_browsers_csrf_token(world: World, token: str | None) -> None:
    client = citizen_client(world.app, IDA["email"], CITIZEN_PASSWORD)
    refused = client.post("/sign-out", data={} if token is None else {"csrf_token": token})
    assert refused.status_code == 403
    assert client.get("/account").status_code == 200


def test_signing_out_ends_the_session_on_the_server_for_every_copy_of_the_cookie(
    world: World,
) -> None:
    client = citizen_client(world.app, IDA["email"], CITIZEN_PASSWORD)
    copy = signed_out(world)
    copy.cookies.update(client.cookies)
    other_device = citizen_client(world.app, IDA["email"], CITIZEN_PASSWORD)
    out = client.post("/sign-out", data={"csrf_token": csrf(client.get("/account").text)})
    assert out.status_code == 200
    check_page(out.text)
    assert "You have signed out" in out.text
    assert client.get("/account").status_code == 303
    assert copy.get("/account").status_code == 303
    assert other_device.get("/account").status_code == 200  # only this session ended
    assert any(s.revoked_at is not None for s in sessions_of(world, IDA["email"]))


def test_signing_out_when_the_session_has_already_ended_says_you_are_signed_out(
    world: World,
) -> None:
    client = signed_out(world)
    client.get("/sign-in")
    answer = client.post("/sign-out", data={"csrf_token": session_of(client)["csrf"]})
    assert answer.status_code == 200
    assert "You have signed out" in answer.text


def test_the_shared_demo_app_signs_its_resident_in(demo_app: FastAPI) -> None:
    client = citizen_client(
        demo_app, DEMO_RESIDENT["email"], DEMO_RESIDENT["password"], next_path="/account"
    )
    assert "Signed in as " + DEMO_RESIDENT["name"] in client.get("/account").text


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[str]:
    with served(world.app) as base:
        world.provider.allow(base)
        yield base


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_resident_signs_in_and_out_in_a_browser(
    browser: Browser, site: str, javascript: bool
) -> None:
    person = OLA if javascript else PIA
    # Only the JavaScript run bypasses the CSP (to inject axe); the other runs under it.
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(site + "/account")
    assert page.locator("h1").inner_text() == "Sign in to see how your data is used"
    check_page_in_browser(page, "citizen-sign-in-from-account", javascript)
    page.get_by_role("button", name="Sign in").click()
    assert not page.url.startswith(site)
    assert "stands in for GOV.UK One Login" in page.content()
    check_page_in_browser(page, "citizen-provider-sign-in", javascript)
    page.get_by_label("Email address").fill(person["email"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Continue").click()
    assert page.title().startswith("Error: ")
    check_page_in_browser(page, "citizen-provider-sign-in-error", javascript)
    page.get_by_label("Password").fill(CITIZEN_PASSWORD)
    page.get_by_role("button", name="Continue").click()

    assert page.url == site + "/account"
    assert page.locator("h1").inner_text() == "Your account"
    assert "Signed in as " + person["name"] in page.content()
    check_page_in_browser(page, "citizen-account", javascript)
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "You have signed out"
    check_page_in_browser(page, "citizen-signed-out", javascript)
    page.goto(site + "/account")
    assert page.locator("h1").inner_text() == "Sign in to see how your data is used"

    # Changing your mind at the provider: a page that says so, and the way back.
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Cancel").click()
    assert page.locator("h1").inner_text() == "You are not signed in"
    check_page_in_browser(page, "citizen-sign-in-cancelled", javascript)
    page.get_by_role("link", name="Try signing in again").click()
    assert page.locator("h1").inner_text() == "Sign in to see how your data is used"
    if javascript:
        assert errors == []
        citizen_signs_in(page, site, person["email"], CITIZEN_PASSWORD)
    context.close()
