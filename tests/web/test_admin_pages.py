"""The administrator's pages: organisations, their own staff (add someone, give them a new
password and security code) and their own API clients (register a key, revoke it). And every
way in that should be refused: another organisation's staff or clients, another role, no
CSRF token, bad input."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator

import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine, func, select

from factories.api_clients import SigningClient, raw_public_key, register_client
from factories.broker import ada_consents
from factories.browser import check_page_in_browser, staff_signs_in
from factories.databases import fresh_database, migrated_engine
from factories.serving import served
from factories.staff import PASSWORD, browser, csrf, enrol_all_staff, sign_in
from sharewell import db
from sharewell.accounts import services as accounts
from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.errors import SignInFailed
from sharewell.accounts.models import StaffCredential, StaffUser
from sharewell.broker import client_auth
from sharewell.broker.errors import ClientKeyRevoked
from sharewell.config import Settings
from sharewell.web.app import create_app
from web.pages import check_page

ADMIN = "admin@northbridge.example"
OTHER_ADMIN = "admin@southmere.example"  # added below: the demo has one admin
OFFICER = "officer@northbridge.example"
DPO = "dpo@northbridge.example"
SOUTHMERE_OFFICER = "officer@southmere.example"
# One member of staff per browser run: a security code works once.
BROWSER_ADMINS = {"js": "admin.js@northbridge.example", "no-js": "admin.nojs@northbridge.example"}
World = tuple[FastAPI, Engine, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo register, a second organisation's admin and API client, everyone enrolled."""
    home = tmp_path_factory.mktemp("admin")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            ada_consents(session, home)
            staff_accounts.add(
                session, "southmere", email=OTHER_ADMIN, name="Sam Admin", role="admin"
            )
            for email in BROWSER_ADMINS.values():
                staff_accounts.add(
                    session, "northbridge", email=email, name="Browser Admin", role="admin"
                )
            southmere_client = register_client(session, "southmere", "Southmere housing").key_id
            enrol_all_staff(session)
        yield (
            create_app(Settings(home=home, database_url=url), engine=engine),
            engine,
            southmere_client,
        )
        engine.dispose()


@pytest.fixture(scope="module")
def admin(world: World) -> TestClient:
    app, engine, _ = world
    return sign_in(app, engine, ADMIN)


@pytest.fixture(scope="module")
def other_admin(world: World) -> TestClient:
    app, engine, _ = world
    return sign_in(app, engine, OTHER_ADMIN)


def page(client: TestClient, path: str, status: int = 200, *, has_errors: bool = False) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text
    check_page(response.text, has_errors=has_errors)
    return response.text


def staff_count(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(StaffUser)) or 0


def clients_of(engine: Engine, organisation: str) -> dict[str, str]:
    with db.transaction(engine) as session:
        return {c.key_id: c.status for c in client_auth.list_clients(session, organisation)}


def user_id(engine: Engine, email: str) -> int:
    with db.transaction(engine) as session:
        return staff_accounts.by_email(session, email).id


def password_hash(engine: Engine, email: str) -> str:
    with db.transaction(engine) as session:
        credential = session.get(StaffCredential, staff_accounts.by_email(session, email).id)
        assert credential is not None
        return credential.password_hash


def pem(private_key: Ed25519PrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# --------------------------------------------------------------------------- organisations


def test_an_admin_sees_every_organisation_and_each_ones_datasets(world, admin) -> None:  # type: ignore[no-untyped-def]
    listing = page(admin, "/staff/organisations")
    for name in ("Northbridge", "Southmere", "Department for Work and Pensions"):
        assert name in listing
    assert "sharewell register import" in listing  # managed by YAML import, and it says so
    assert 'href="/register/schema/organisation-v1.json"' in listing
    detail = page(admin, "/staff/organisations/northbridge")
    assert "Housing Benefit" in detail
    assert "weekly_income" in detail
    with db.transaction(world[1]) as session:
        count = len(staff_accounts.staff_of(session, "northbridge"))
    assert re.search(rf"Staff</dt>\s*<dd[^>]*>{count}\b", detail)
    page(admin, "/staff/organisations/nowhere", 404)


# --------------------------------------------------------------------------- staff


def test_an_admin_sees_only_their_own_organisations_staff(world, admin) -> None:  # type: ignore[no-untyped-def]
    listing = page(admin, "/staff/users")
    assert OFFICER in listing
    assert DPO in listing
    assert SOUTHMERE_OFFICER not in listing
    assert OTHER_ADMIN not in listing
    assert "Set up" in listing
    southmere = user_id(world[1], SOUTHMERE_OFFICER)
    page(admin, f"/staff/users/{southmere}", 404)
    page(admin, "/staff/users/999999", 404)
    assert admin.get("/staff/users/not-a-number").status_code == 404


def test_an_admin_adds_a_member_of_staff_and_gives_them_a_way_to_sign_in(world, admin) -> None:  # type: ignore[no-untyped-def]
    _, engine, _ = world
    form = page(admin, "/staff/users/new")
    added = admin.post(
        "/staff/users/new",
        data={
            "email": "  New.Starter@Northbridge.example ",
            "name": "New Starter",
            "role": "officer",
            "csrf_token": csrf(form),
        },
    )
    assert added.status_code == 303
    detail = page(admin, added.headers["location"])
    assert "New Starter was added" in detail
    assert "new.starter@northbridge.example" in detail  # kept as sign-in reads it
    assert "Not set up" in detail
    with db.transaction(engine) as session:
        user = staff_accounts.by_email(session, "new.starter@northbridge.example")
        assert (user.organisation_id, user.role) == ("northbridge", "officer")
        assert not accounts.has_credentials(session, user.id)

    made = admin.post(f"/staff/users/{user.id}/credentials", data={"csrf_token": csrf(detail)})
    assert made.status_code == 200
    check_page(made.text)
    assert made.headers["cache-control"] == "no-store"
    password = re.search(r'<code id="password">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    secret = re.search(r'<code id="totp-secret">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    assert "otpauth://totp/" in made.text
    with db.transaction(engine) as session:
        identity = accounts.check_password(
            session, "new.starter@northbridge.example", password, now=dt.datetime.now(dt.UTC)
        )
        assert identity.role == "officer"
        now = dt.datetime.now(dt.UTC)
        assert accounts.current_code(session, identity.email, now=now) == pyotp.TOTP(secret).at(now)
    assert "Set up" in page(admin, "/staff/users")


def test_new_credentials_replace_the_old_lift_a_lockout_and_end_sessions(world, admin) -> None:  # type: ignore[no-untyped-def]
    app, engine, _ = world
    dpo_browser = sign_in(app, engine, DPO)
    assert dpo_browser.get("/staff").status_code == 200
    dpo_id = user_id(engine, DPO)
    with db.transaction(engine) as session:
        credential = session.get(StaffCredential, dpo_id)
        assert credential is not None
        credential.locked_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    listing = page(admin, "/staff/users")
    assert "Locked" in listing
    detail = page(admin, f"/staff/users/{dpo_id}")
    assert "Locked after too many" in detail
    made = admin.post(f"/staff/users/{dpo_id}/credentials", data={"csrf_token": csrf(detail)})
    assert made.status_code == 200
    assert "1 signed-in session of theirs was ended" in made.text
    password = re.search(r'<code id="password">([^<]+)</code>', made.text).group(1)  # type: ignore[union-attr]
    with db.transaction(engine) as session:
        now = dt.datetime.now(dt.UTC)
        accounts.check_password(session, DPO, password, now=now)  # not locked any more
        with pytest.raises(SignInFailed):
            accounts.check_password(session, DPO, PASSWORD, now=now)
    assert dpo_browser.get("/staff").status_code == 303  # signed out


def test_bad_details_for_a_new_member_of_staff_are_shown_and_nothing_is_written(
    world, admin
) -> None:  # type: ignore[no-untyped-def]
    _, engine, _ = world
    form = page(admin, "/staff/users/new")
    before = staff_count(engine)
    cases = [
        ({"email": "", "name": "", "role": ""}, ("#email", "#name", "#role")),
        ({"email": "not-an-email", "name": "A Person", "role": "officer"}, ("#email",)),
        ({"email": "a@northbridge.example", "name": "A Person", "role": "superuser"}, ("#role",)),
        ({"email": "a@northbridge.example", "name": "x" * 301, "role": "dpo"}, ("#name",)),
        # Another organisation's member of staff already has it.
        ({"email": SOUTHMERE_OFFICER.upper(), "name": "A Person", "role": "dpo"}, ("#email",)),
    ]
    for data, anchors in cases:
        response = admin.post("/staff/users/new", data={**data, "csrf_token": csrf(form)})
        assert response.status_code == 422, data
        check_page(response.text, has_errors=True)
        for anchor in anchors:
            assert f'href="{anchor}"' in response.text, (data, anchor)
    assert "already has this email address" in response.text
    assert 'value="not-an-email"' not in response.text
    assert staff_count(engine) == before


def test_an_admin_cannot_touch_another_organisations_staff(world, admin) -> None:  # type: ignore[no-untyped-def]
    _, engine, _ = world
    token = csrf(page(admin, "/staff/users"))
    southmere = user_id(engine, SOUTHMERE_OFFICER)
    before = password_hash(engine, SOUTHMERE_OFFICER)
    response = admin.post(f"/staff/users/{southmere}/credentials", data={"csrf_token": token})
    assert response.status_code == 404
    check_page(response.text)
    assert "New sign-in details" not in response.text
    assert password_hash(engine, SOUTHMERE_OFFICER) == before


# --------------------------------------------------------------------------- API clients


def test_an_admin_registers_an_api_client_from_a_pem_key_and_revokes_it(world, admin) -> None:  # type: ignore[no-untyped-def]
    _, engine, southmere_client = world
    private_key = Ed25519PrivateKey.generate()
    form = page(admin, "/staff/api-clients/new")
    registered = admin.post(
        "/staff/api-clients/new",
        data={"name": "Housing system", "public_key": pem(private_key), "csrf_token": csrf(form)},
    )
    assert registered.status_code == 303
    key_id = client_auth.key_id_for("northbridge", raw_public_key(private_key))
    assert registered.headers["location"] == f"/staff/api-clients/{key_id}?done=registered"
    detail = page(admin, registered.headers["location"])
    assert "Housing system is registered" in detail
    assert key_id in detail
    listing = page(admin, "/staff/api-clients")
    assert key_id in listing
    assert southmere_client not in listing  # only the admin's own organisation's
    assert clients_of(engine, "northbridge")[key_id] == "active"

    confirm = page(admin, f"/staff/api-clients/{key_id}/revoke")
    assert "Yes, revoke it" in confirm
    assert clients_of(engine, "northbridge")[key_id] == "active"  # asking is not revoking
    revoked = admin.post(f"/staff/api-clients/{key_id}/revoke", data={"csrf_token": csrf(confirm)})
    assert revoked.status_code == 303
    after = page(admin, revoked.headers["location"])
    assert "is revoked" in after
    assert "Revoke this client" not in after
    assert clients_of(engine, "northbridge")[key_id] == "revoked"
    # Revoked means its requests are refused.
    signed = SigningClient(key_id, private_key).sign("POST", "https://h/api/v1/decisions", b"{}")
    with db.transaction(engine) as session, pytest.raises(ClientKeyRevoked):
        client_auth.verify_signed_request(
            session, method="POST", url="/api/v1/decisions", headers=signed, body=b"{}"
        )
    # The confirmation page of a revoked client goes back to it; revoking again changes nothing.
    assert admin.get(f"/staff/api-clients/{key_id}/revoke").status_code == 303
    again = admin.post(f"/staff/api-clients/{key_id}/revoke", data={"csrf_token": csrf(confirm)})
    assert again.status_code == 303


def test_a_raw_base64_key_registers_too(world, admin) -> None:  # type: ignore[no-untyped-def]
    private_key = Ed25519PrivateKey.generate()
    form = page(admin, "/staff/api-clients/new")
    raw = base64.b64encode(raw_public_key(private_key)).decode()
    registered = admin.post(
        "/staff/api-clients/new",
        data={"name": "Benefits system", "public_key": raw, "csrf_token": csrf(form)},
    )
    assert registered.status_code == 303
    key_id = client_auth.key_id_for("northbridge", raw_public_key(private_key))
    assert clients_of(world[1], "northbridge")[key_id] == "active"


def test_a_bad_or_reused_key_is_shown_on_the_form_and_nothing_is_written(world, admin) -> None:  # type: ignore[no-untyped-def]
    _, engine, _ = world
    form = page(admin, "/staff/api-clients/new")
    taken = register_client_now(engine)
    private_pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    before = clients_of(engine, "northbridge")
    cases = [
        ({"name": "", "public_key": ""}, ("#name", "#public_key"), "Paste the system"),
        ({"name": "A system", "public_key": "not a key"}, ("#public_key",), "not PEM"),
        (
            {"name": "A system", "public_key": base64.b64encode(b"short").decode()},
            ("#public_key",),
            "5 bytes",
        ),
        ({"name": "A system", "public_key": private_pem}, ("#public_key",), "cannot be read"),
        ({"name": "A system", "public_key": "A" * 6000}, ("#public_key",), "far longer"),
        ({"name": "x" * 201, "public_key": taken}, ("#name",), "200 characters"),
        ({"name": "A system", "public_key": taken}, ("#public_key",), "already registered"),
    ]
    for data, anchors, message in cases:
        response = admin.post("/staff/api-clients/new", data={**data, "csrf_token": csrf(form)})
        assert response.status_code == 422, data
        check_page(response.text, has_errors=True)
        assert message in response.text, data
        for anchor in anchors:
            assert f'href="{anchor}"' in response.text, (data, anchor)
    assert clients_of(engine, "northbridge") == before


def register_client_now(engine: Engine) -> str:
    """A key already registered for Northbridge, as base64 of its raw bytes."""
    private_key = Ed25519PrivateKey.generate()
    with db.transaction(engine) as session:
        client_auth.register_client(
            session,
            organisation_id="northbridge",
            name="Existing",
            public_key=raw_public_key(private_key),
        )
    return base64.b64encode(raw_public_key(private_key)).decode()


def test_an_admin_cannot_see_or_revoke_another_organisations_client(world, admin) -> None:  # type: ignore[no-untyped-def]
    _, engine, southmere_client = world
    token = csrf(page(admin, "/staff/api-clients"))
    page(admin, f"/staff/api-clients/{southmere_client}", 404)
    page(admin, f"/staff/api-clients/{southmere_client}/revoke", 404)
    refused = admin.post(
        f"/staff/api-clients/{southmere_client}/revoke", data={"csrf_token": token}
    )
    assert refused.status_code == 404
    unknown = admin.get("/staff/api-clients/northbridge.nosuchkey")
    assert unknown.status_code == 404
    # The same page either way: nothing says the other organisation's key exists.
    assert refused.text.replace(southmere_client, "K") == admin.post(
        "/staff/api-clients/northbridge.nosuchkey/revoke", data={"csrf_token": token}
    ).text.replace("northbridge.nosuchkey", "K")
    assert clients_of(engine, "southmere")[southmere_client] == "active"


def test_the_other_organisations_admin_sees_their_own(world, other_admin) -> None:  # type: ignore[no-untyped-def]
    _, _, southmere_client = world
    listing = page(other_admin, "/staff/api-clients")
    assert southmere_client in listing
    staff = page(other_admin, "/staff/users")
    assert SOUTHMERE_OFFICER in staff
    assert OFFICER not in staff


# --------------------------------------------------------------------------- refusals


ADMIN_PAGES = [
    "/staff/organisations",
    "/staff/organisations/northbridge",
    "/staff/users",
    "/staff/users/new",
    "/staff/api-clients",
    "/staff/api-clients/new",
]


def test_other_roles_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    app, engine, _ = world
    officer = sign_in(app, engine, OFFICER)
    token = csrf(officer.get("/staff").text)
    for path in ADMIN_PAGES:
        response = officer.get(path)
        assert response.status_code == 403, path
        check_page(response.text)
    before = staff_count(engine), clients_of(engine, "northbridge")
    key = base64.b64encode(raw_public_key(Ed25519PrivateKey.generate())).decode()
    writes = {
        "/staff/users/new": {"email": "x@northbridge.example", "name": "X", "role": "admin"},
        f"/staff/users/{user_id(engine, OFFICER)}/credentials": {},
        "/staff/api-clients/new": {"name": "Mine now", "public_key": key},
    }
    for path, data in writes.items():
        assert officer.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert (staff_count(engine), clients_of(engine, "northbridge")) == before


def test_the_pages_need_a_signed_in_session(world) -> None:  # type: ignore[no-untyped-def]
    app, _, _ = world
    anonymous = browser(app)
    for path in ADMIN_PAGES:
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/staff/sign-in"


def test_forms_without_this_browsers_csrf_token_are_refused_and_change_nothing(
    world, admin
) -> None:  # type: ignore[no-untyped-def]
    app, engine, _ = world
    with db.transaction(engine) as session:
        active = register_client(session, "northbridge", "Still trusted").key_id
    dpo_hash = password_hash(engine, "dpo@northbridge.example")
    before = staff_count(engine), clients_of(engine, "northbridge")
    borrowed = csrf(browser(app).get("/staff/sign-in").text)  # a real token, another browser's
    key = base64.b64encode(raw_public_key(Ed25519PrivateKey.generate())).decode()
    writes = {
        "/staff/users/new": {"email": "y@northbridge.example", "name": "Y", "role": "admin"},
        f"/staff/users/{user_id(engine, DPO)}/credentials": {},
        "/staff/api-clients/new": {"name": "Forged", "public_key": key},
        f"/staff/api-clients/{active}/revoke": {},
    }
    for path, data in writes.items():
        for token in (None, "forged-token-value", borrowed):
            sent = data if token is None else {**data, "csrf_token": token}
            response = admin.post(path, data=sent)
            assert response.status_code == 403, (path, token)
            assert "New sign-in details" not in response.text
    assert (staff_count(engine), clients_of(engine, "northbridge")) == before
    assert password_hash(engine, DPO) == dpo_hash


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def live_admin_url(world: World) -> Iterator[str]:
    with served(world[0]) as url:
        yield url


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_admin_adds_staff_and_registers_and_revokes_a_client_in_a_real_browser(
    browser: Browser, live_admin_url: str, world: World, javascript: bool
) -> None:
    _, engine, _ = world
    run = "js" if javascript else "no-js"
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    staff_signs_in(page, live_admin_url, engine, BROWSER_ADMINS[run], PASSWORD)

    page.goto(live_admin_url + "/staff/organisations")
    check_page_in_browser(page, "admin-organisations", javascript)
    page.get_by_role("link", name="Southmere District Council").click()
    assert page.locator("h1").inner_text() == "Southmere District Council"
    check_page_in_browser(page, "admin-organisation", javascript)

    page.goto(live_admin_url + "/staff/users")
    check_page_in_browser(page, "admin-users", javascript)
    page.get_by_role("button", name="Add a member of staff").click()
    check_page_in_browser(page, "admin-user-new", javascript)
    page.get_by_role("button", name="Add them").click()
    assert page.title().startswith("Error: ")
    check_page_in_browser(page, "admin-user-new-errors", javascript)
    page.get_by_label("Work email address").fill(f"starter.{run}@northbridge.example")
    page.get_by_label("Full name").fill(f"Starter {run}")
    page.get_by_label("Auditor").check()
    page.get_by_role("button", name="Add them").click()
    assert page.locator("h1").inner_text() == f"Starter {run}"
    check_page_in_browser(page, "admin-user", javascript)
    page.get_by_role("button", name="Make a password and security code").click()
    assert page.locator("h1").inner_text() == f"New sign-in details for Starter {run}"
    assert page.locator("#password").inner_text()
    check_page_in_browser(page, "admin-credentials", javascript)

    page.goto(live_admin_url + "/staff/api-clients")
    check_page_in_browser(page, "admin-api-clients", javascript)
    page.get_by_role("button", name="Register an API client").click()
    check_page_in_browser(page, "admin-api-client-new", javascript)
    page.get_by_label("Name of the system").fill(f"Browser system {run}")
    page.get_by_label("Public key").fill("this is not a key")
    page.get_by_role("button", name="Register it").click()
    assert page.title().startswith("Error: ")
    check_page_in_browser(page, "admin-api-client-new-errors", javascript)
    page.get_by_label("Public key").fill(pem(Ed25519PrivateKey.generate()))
    page.get_by_role("button", name="Register it").click()
    assert page.locator("h1").inner_text() == f"Browser system {run}"
    key_id = page.locator("#key-id").inner_text()
    assert clients_of(engine, "northbridge")[key_id] == "active"
    check_page_in_browser(page, "admin-api-client", javascript)
    page.get_by_role("button", name="Revoke this client").click()
    check_page_in_browser(page, "admin-api-client-revoke", javascript)
    page.get_by_role("button", name="Yes, revoke it").click()
    assert "is revoked" in page.content()
    assert clients_of(engine, "northbridge")[key_id] == "revoked"
    check_page_in_browser(page, "admin-api-client-revoked", javascript)

    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "You have signed out"
    assert errors == []
    context.close()
