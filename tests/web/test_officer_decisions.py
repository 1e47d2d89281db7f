"""The officer's decisions list: every decision on the requests their organisation made (by its
staff or its systems), newest first, a page at a time, and one request's decisions. Never
another organisation's, never a National Insurance number."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine

from factories.api_clients import register_client
from factories.broker import ADA, ada_consents
from factories.browser import check_page_in_browser, staff_signs_in
from factories.databases import fresh_database, migrated_engine
from factories.serving import served
from factories.staff import PASSWORD, browser, csrf, enrol_all_staff, sign_in
from sharewell import db
from sharewell.accounts import staff as staff_accounts
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.config import Settings
from sharewell.web.app import create_app
from web.pages import check_page

SCHOOLS = "northbridge-schools"
OFFICER = "office@schools.northbridge.example"
SOUTHMERE_OFFICER = "officer@southmere.example"
DPO = "dpo@schools.northbridge.example"
# One member of staff per browser run: a security code works once.
BROWSER_OFFICERS = {
    "js": "officer.js@schools.northbridge.example",
    "no-js": "officer.nojs@schools.northbridge.example",
}
MACHINE_REQUESTS = 30  # more than one page (25)
FIRST_NAME = "housing-benefit-claims.first_name"


class World:
    def __init__(self, app: FastAPI, engine: Engine, key_id: str, pair: str, other: str) -> None:
        self.app = app
        self.engine = engine
        self.key_id = key_id  # the schools' API client
        self.pair = pair  # a request of theirs about two people
        self.other = other  # a Southmere request


def ask(purpose: str = "free-school-meals", ninos: tuple[str, ...] = (ADA,)) -> DecisionRequest:
    return DecisionRequest.model_validate(
        {
            "purpose": purpose,
            "subjects": [{"scheme": "nino", "value": n} for n in ninos],
            "fields": [FIRST_NAME],
        }
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("decisions")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            ada_consents(session, home)
            for email in BROWSER_OFFICERS.values():
                staff_accounts.add(
                    session, SCHOOLS, email=email, name="Browser Officer", role="officer"
                )
            enrol_all_staff(session)
            key_id = register_client(session, SCHOOLS, "School roll system").key_id
            system = broker.Requester(organisation=SCHOOLS, actor=f"client:{key_id}")
            pair = broker.decide(session, system, ask(ninos=(ADA, "JX123456D"))).request_id
            for _ in range(MACHINE_REQUESTS):
                broker.decide(session, system, ask())
            southmere = broker.Requester(organisation="southmere", actor="staff:officer")
            other = broker.decide(session, southmere, ask("council-tax")).request_id
        yield World(
            create_app(Settings(home=home, database_url=url), engine=engine),
            engine,
            key_id,
            pair,
            other,
        )
        engine.dispose()


@pytest.fixture(scope="module")
def officer(world: World) -> TestClient:
    return sign_in(world.app, world.engine, OFFICER)


def page(client: TestClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text
    check_page(response.text)
    return response.text


def make_request(client: TestClient) -> str:
    """Ask through the officer's form; the ledger entry of the decision."""
    form = client.get("/staff/requests/new").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert key
    answer = client.post(
        "/staff/requests",
        data={
            "purpose": "free-school-meals",
            "agreement": "northbridge-hb-fsm-consent",
            "nino": "AB 12 34 56 C",
            "fields": [FIRST_NAME],
            "csrf_token": csrf(form),
            "idempotency_key": key.group(1),
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"  # it shows a person's data
    entry = re.search(r"Entry (\d+)", answer.text)
    assert entry
    return entry.group(1)


def test_an_officer_finds_the_request_they_just_made_first_in_the_list(world, officer) -> None:  # type: ignore[no-untyped-def]
    entry = make_request(officer)
    listing = page(officer, "/staff/decisions")
    first_card = listing.split('class="govuk-summary-card"')[1]
    assert f"Entry {entry}" in first_card
    assert "Shared" in first_card
    assert "A member of staff (officer)" in first_card
    assert "First name" in first_card
    assert FIRST_NAME not in listing  # staff read the field's title, not its machine name
    assert "Person 1 of 1" in first_card
    assert "Free school meals" in first_card
    assert 'href="/register/agreements/northbridge-hb-fsm-consent"' in first_card
    assert ADA not in listing
    assert "AB 12 34 56 C" not in listing
    assert f"of {MACHINE_REQUESTS + 3} decisions" in listing  # 30, the pair, this one
    request = re.search(r'href="(/staff/decisions/[0-9a-f-]{36})"', first_card)
    assert request
    detail = page(officer, request.group(1))
    assert f"Entry {entry}" in detail
    assert "Information asked for" in detail


def test_decisions_of_the_organisations_systems_are_listed_with_reasons(world, officer) -> None:  # type: ignore[no-untyped-def]
    detail = page(officer, f"/staff/decisions/{world.pair}")
    assert f"API client {world.key_id}" in detail
    assert "People asked about</dt>" in detail
    people = re.findall(r"Person (\d) of 2: (\w+)", detail)
    assert [p for p, _ in people] == ["1", "2"]  # in the order they were asked about
    assert "has no record that matches the person asked about" in detail  # nobody it holds
    assert "subject_unknown" not in detail  # staff read words, not codes
    assert "JX123456D" not in detail


def test_the_list_is_paginated_newest_first(world, officer) -> None:  # type: ignore[no-untyped-def]
    first = page(officer, "/staff/decisions")
    second = page(officer, "/staff/decisions?page=2")
    entries = [int(e) for e in re.findall(r"Entry (\d+)</dd>", first + second)]
    assert entries == sorted(entries, reverse=True)
    assert len(set(entries)) == len(entries) > 25
    assert 'href="/staff/decisions?page=2"' in first
    assert 'rel="next"' in first
    assert 'rel="prev"' in second
    page(officer, "/staff/decisions?page=99", 404)
    assert officer.get("/staff/decisions?page=0").status_code == 422
    assert officer.get("/staff/decisions?page=two").status_code == 422


def test_another_organisations_request_is_not_found(world, officer) -> None:  # type: ignore[no-untyped-def]
    refused = page(officer, f"/staff/decisions/{world.other}", 404)
    unknown = page(officer, "/staff/decisions/00000000-0000-0000-0000-000000000000", 404)
    # The same page either way: nothing says the other organisation's request exists.
    assert refused.replace(world.other, "X") == unknown.replace(
        "00000000-0000-0000-0000-000000000000", "X"
    )
    assert world.other not in page(officer, "/staff/decisions")
    southmere = sign_in(world.app, world.engine, SOUTHMERE_OFFICER)
    theirs = page(southmere, "/staff/decisions")
    assert "of 1 decision." in theirs
    assert world.key_id not in theirs
    page(southmere, f"/staff/decisions/{world.pair}", 404)
    assert "Council tax" in page(southmere, f"/staff/decisions/{world.other}")


def test_other_roles_and_nobody_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    dpo = sign_in(world.app, world.engine, DPO)
    anonymous = browser(world.app)
    for path in ("/staff/decisions", f"/staff/decisions/{world.pair}"):
        response = dpo.get(path)
        assert response.status_code == 403, path
        check_page(response.text)
        assert anonymous.get(path).status_code == 303


@pytest.fixture(scope="module")
def live_url_of_world(world: World) -> Iterator[str]:
    with served(world.app) as url:
        yield url


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_officer_asks_then_finds_the_decision_in_a_real_browser(
    browser: Browser, live_url_of_world: str, world: World, javascript: bool
) -> None:
    base = live_url_of_world
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    staff_signs_in(
        page, base, world.engine, BROWSER_OFFICERS["js" if javascript else "no-js"], PASSWORD
    )

    page.goto(base + "/staff/requests/new")
    check_page_in_browser(page, "officer-request-form", javascript)
    page.get_by_label("What is the information for?").select_option("free-school-meals")
    page.get_by_label("National Insurance number of the person").fill("AB 12 34 56 C")
    # Something no agreement covers: explained before anything is sent.
    page.get_by_text("Ask for information not listed").click()
    page.get_by_label("Other information, by its name in the data").fill(
        "housing-benefit-claims.weekly_income"
    )
    page.get_by_role("button", name="Ask").click()
    assert page.title().startswith("Error: ")
    assert "so the request would be refused" in page.content()
    check_page_in_browser(page, "officer-request-refusal-ahead", javascript)
    page.get_by_label("Other information, by its name in the data").fill("")
    page.get_by_label("First name").check()
    page.get_by_role("button", name="Ask").click()
    assert page.locator("h1").inner_text().startswith("Decision:")
    entry = re.search(r"Entry (\d+)", page.content())
    assert entry

    page.goto(base + "/staff/decisions")
    check_page_in_browser(page, "officer-decisions", javascript)
    first = page.locator(".govuk-summary-card").first
    assert f"Entry {entry.group(1)}" in first.inner_text()
    first.get_by_role("link", name="See the whole request").click()
    assert page.locator("h1").inner_text() == "Decisions on one request"
    assert f"Entry {entry.group(1)}" in page.content()
    check_page_in_browser(page, "officer-decisions-request", javascript)

    page.goto(base + "/staff/decisions?page=2")
    check_page_in_browser(page, "officer-decisions-page-2", javascript)
    page.get_by_role("link", name="Previous").click()
    assert page.url.endswith("/staff/decisions?page=1")

    page.goto(base + "/staff/decisions?page=99")
    check_page_in_browser(page, "officer-decisions-not-found", javascript)
    assert errors == []
    context.close()
