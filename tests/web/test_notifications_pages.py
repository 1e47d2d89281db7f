"""Updates by email, for a signed-in citizen: see the choice, turn it on or off (CSRF, no JS
needed), and a decision about someone who opted in queues one message, about nobody else.
And every way in that should be refused: signed out, no or a forged CSRF token, a bad choice,
one citizen trying to change another's choice."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine, select

from factories.browser import check_page_in_browser
from factories.citizens import LocalProvider, citizen_client, citizen_signs_in
from factories.databases import fresh_database, migrated_engine
from factories.portal import ADA, ALAN, CITIZEN_PASSWORD, GRACE, build_borough, school_asks
from factories.serving import served
from factories.staff import csrf
from sharewell import db
from sharewell.config import Settings
from sharewell.consent import services as consent
from sharewell.notifications import services as notifications
from sharewell.notifications.models import OutboxMessage
from sharewell.web.app import create_app
from web.pages import check_page

PAGE = "/your-data/notifications"


World = tuple[FastAPI, Engine, LocalProvider]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, oidc_provider: LocalProvider
) -> Iterator[World]:
    home = tmp_path_factory.mktemp("notifications")
    for person in (ADA, ALAN, GRACE):
        oidc_provider.add_user(person["email"], CITIZEN_PASSWORD, person["name"], person["nino"])
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            build_borough(session, home)
        settings = Settings(home=home, database_url=url, oidc=oidc_provider.settings)
        yield create_app(settings, engine=engine), engine, oidc_provider
        engine.dispose()


@pytest.fixture(scope="module")
def ada(world: World) -> TestClient:
    return citizen_client(world[0], ADA["email"], CITIZEN_PASSWORD)


@pytest.fixture(scope="module")
def alan(world: World) -> TestClient:
    return citizen_client(world[0], ALAN["email"], CITIZEN_PASSWORD)


def subject_of(engine: Engine, person: dict[str, str]) -> str:
    with db.transaction(engine) as session:
        return consent.resolve_subject(session, "nino", person["nino"]).id


def preference(engine: Engine, person: dict[str, str]) -> notifications.Preference:
    with db.transaction(engine) as session:
        return notifications.preference(session, subject_of(engine, person))


def outbox_for(engine: Engine, person: dict[str, str]) -> list[OutboxMessage]:
    subject = subject_of(engine, person)
    with db.transaction(engine) as session:
        return list(
            session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == subject))
        )


def choose(client: TestClient, choice: str, **extra: str) -> Any:
    form = client.get(PAGE)
    assert form.status_code == 200, form.text
    return client.post(
        PAGE,
        data={"csrf_token": csrf(form.text), "choice": choice, **extra},
        follow_redirects=False,
    )


def set_off(engine: Engine, person: dict[str, str]) -> None:
    with db.transaction(engine) as session:
        notifications.opt_out(session, subject_of(engine, person))


def test_a_citizen_opts_in_and_the_next_decision_about_them_queues_one_message(
    world: World, ada: TestClient
) -> None:
    _, engine, _ = world
    set_off(engine, ADA)
    page = ada.get(PAGE)
    assert page.status_code == 200
    check_page(page.text)
    assert "Updates by email" in page.text
    assert ADA["email"] in page.text  # the address from her sign-in
    assert 'value="off" checked' in page.text

    answer = choose(ada, "on")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PAGE}/saved"
    saved = ada.get(answer.headers["location"])
    check_page(saved.text)
    assert "Updates by email are on" in saved.text
    assert preference(engine, ADA).email == ADA["email"]

    before = len(outbox_for(engine, ADA))
    with db.transaction(engine) as session:
        school_asks(session, ADA["nino"], GRACE["nino"])
    mine = outbox_for(engine, ADA)
    assert len(mine) == before + 1
    assert outbox_for(engine, GRACE) == []  # Grace never opted in
    said = str([mine[-1].email, mine[-1].personalisation])
    for value in (ADA["nino"], "Ada", "120.00", "1985-12-10"):
        assert value not in said.replace(ADA["email"], "")


def test_opting_out_stops_the_messages(world: World, ada: TestClient) -> None:
    _, engine, _ = world
    assert choose(ada, "on").status_code == 303
    answer = choose(ada, "off")
    assert answer.status_code == 303
    saved = ada.get(answer.headers["location"])
    assert "Updates by email are off" in saved.text
    assert preference(engine, ADA).opted_in is False
    before = len(outbox_for(engine, ADA))
    with db.transaction(engine) as session:
        school_asks(session, ADA["nino"])
    assert len(outbox_for(engine, ADA)) == before


def test_a_bad_choice_is_shown_again_with_the_error_and_nothing_changes(
    world: World, ada: TestClient
) -> None:
    _, engine, _ = world
    set_off(engine, ADA)
    for choice in ("", "maybe", "ON"):
        answer = choose(ada, choice)
        assert answer.status_code == 422
        check_page(answer.text, has_errors=True)
        assert "<title>Error: Updates by email" in answer.text
        assert "govuk-error-summary" in answer.text
        assert 'href="#choice"' in answer.text
    assert preference(engine, ADA).opted_in is False


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_missing_or_forged_csrf_token_is_refused_and_nothing_changes(
    world: World, ada: TestClient, token: str | None
) -> None:
    _, engine, _ = world
    set_off(engine, ADA)
    data = {"choice": "on"} if token is None else {"choice": "on", "csrf_token": token}
    answer = ada.post(PAGE, data=data, follow_redirects=False)
    assert answer.status_code == 403
    assert preference(engine, ADA).opted_in is False


def test_signed_out_the_page_sends_you_to_sign_in_and_a_post_changes_nothing(
    world: World,
) -> None:
    app, engine, _ = world
    set_off(engine, ADA)
    with TestClient(app) as stranger:
        answer = stranger.get(PAGE, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in")
        for path in (PAGE, f"{PAGE}/saved"):
            assert stranger.get(path, follow_redirects=False).status_code == 303
        posted = stranger.post(PAGE, data={"choice": "on"}, follow_redirects=False)
        assert posted.status_code in {303, 403}
    assert preference(engine, ADA).opted_in is False


def test_a_citizen_can_only_change_their_own_choice(
    world: World, ada: TestClient, alan: TestClient
) -> None:
    _, engine, _ = world
    set_off(engine, ADA)
    set_off(engine, ALAN)
    ada_subject = subject_of(engine, ADA)
    # The form names no subject or address; anything extra a browser sends is ignored.
    answer = choose(
        alan, "on", subject_id=ada_subject, subject=ada_subject, email="attacker@example.net"
    )
    assert answer.status_code == 303
    assert preference(engine, ADA).opted_in is False
    assert preference(engine, ALAN).email == ALAN["email"]
    assert "attacker@example.net" not in alan.get(f"{PAGE}/saved").text
    assert ALAN["email"] not in ada.get(PAGE).text


@pytest.mark.parametrize("javascript", [True, False])
def test_a_citizen_turns_updates_on_in_a_browser(
    world: World, browser: Browser, javascript: bool
) -> None:
    app, engine, provider = world
    person = ALAN if javascript else GRACE
    set_off(engine, person)
    with served(app) as base_url:
        provider.allow(base_url)
        # bypass_csp lets the test inject axe; the page's own scripts obey the CSP.
        context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
        page = context.new_page()
        try:
            citizen_signs_in(page, base_url, person["email"], CITIZEN_PASSWORD)
            page.goto(base_url + PAGE)
            check_page_in_browser(page, "citizen-notifications", javascript)
            page.get_by_label("Yes, email me each time").check()
            page.get_by_role("button", name="Save your choice").click()
            assert page.locator("h1").inner_text() == "Updates by email are on"
            check_page_in_browser(page, "citizen-notifications-saved", javascript)
            page.goto(base_url + PAGE)
            page.get_by_role("button", name="Save your choice").click()  # nothing chosen anew
            assert page.locator("h1").inner_text() == "Updates by email are on"
        finally:
            context.close()
    assert preference(engine, person).email == person["email"]
