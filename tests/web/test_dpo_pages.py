"""The data protection officer's pages: agreements (copy another council's, create, import,
activate, suspend), consents and refusals. Another organisation's private agreements are not
found; the wrong role, a missing or forged CSRF token and bad input change nothing. And the
journey in a real browser, with JavaScript on and off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import Engine, func, select

from factories.browser import check_page_in_browser, staff_signs_in
from factories.databases import fresh_database, migrated_engine
from factories.portal import build_borough
from factories.serving import served
from factories.staff import PASSWORD, csrf, enrol_all_staff, sign_in
from sharewell import db
from sharewell.accounts import staff as staff_accounts
from sharewell.config import Settings
from sharewell.ledger import services as ledger
from sharewell.register import services as register
from sharewell.register.models import Agreement
from sharewell.web.app import create_app
from web.pages import check_page

SOUTHMERE_DPO = "dpo@southmere.example"
NORTHBRIDGE_DPO = "dpo@northbridge.example"
SOURCE = "northbridge-hb-fsm-consent"  # active, published, Northbridge's
BROWSER_DPOS = {"js": "dpo2@southmere.example", "no-js": "dpo3@southmere.example"}
IMPORT = """sharewell: agreement/v1
id: southmere-test-import
title: Southmere test import
summary: Housing Benefit status for free school meals, with consent.
discloser: southmere
recipients:
- southmere-schools
gateways:
- consent-route
purposes:
- code: free-school-meals
datasets:
- dataset: housing-benefit-claims
  fields:
  - first_name
valid_from: 2026-01-01
valid_until: 2030-12-31
consent_required: true
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Engine]]:
    home = tmp_path_factory.mktemp("dpo")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            build_borough(session, home)  # includes refused and partly refused decisions
            for email in BROWSER_DPOS.values():
                staff_accounts.add(
                    session, "southmere", email=email, name="Browser DPO", role="dpo"
                )
            enrol_all_staff(session)
        yield create_app(Settings(home=home, database_url=url), engine=engine), engine
        engine.dispose()


@pytest.fixture(scope="module")
def southmere(world: tuple[FastAPI, Engine]) -> TestClient:
    return sign_in(*world, SOUTHMERE_DPO)


@pytest.fixture(scope="module")
def northbridge(world: tuple[FastAPI, Engine]) -> TestClient:
    return sign_in(*world, NORTHBRIDGE_DPO)


def agreements(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Agreement)) or 0


def status(engine: Engine, agreement_id: str) -> str:
    with db.transaction(engine) as session:
        return register.get_agreement(session, agreement_id).status


def test_the_list_shows_the_organisations_agreements_only(
    southmere: TestClient, northbridge: TestClient
) -> None:
    page = southmere.get("/staff/agreements")
    assert page.status_code == 200
    check_page(page.text)
    assert "northbridge-southmere-shared-service" in page.text  # Southmere is a recipient
    assert SOURCE not in page.text
    assert SOURCE in northbridge.get("/staff/agreements").text


def test_a_dpo_copies_another_councils_agreement_and_activates_it(
    world: tuple[FastAPI, Engine], southmere: TestClient
) -> None:
    _, engine = world
    form = southmere.get("/staff/agreements/copy")
    check_page(form.text)
    assert SOURCE in form.text
    asked = {"csrf_token": csrf(form.text), "source": SOURCE, "recipient": "southmere-schools"}
    before_copy = agreements(engine)
    with db.transaction(engine) as session:
        original = register.get_agreement(session, SOURCE)
        original_title, original_summary = original.title, original.summary
    # A copy needs its own words: residents would otherwise see two identical choices.
    for words, problems in (
        ({}, ("Enter a title for your copy", "Say in a sentence what your copy shares")),
        (
            {"title": original_title.upper(), "summary": original_summary},
            ("Give your copy its own title", "Describe your own scheme"),
        ),
    ):
        refused = southmere.post("/staff/agreements/copy", data={**asked, **words})
        assert refused.status_code == 422
        check_page(refused.text, has_errors=True)
        for problem in problems:
            assert problem in refused.text
        assert 'href="#title"' in refused.text  # each problem links to its field
    assert agreements(engine) == before_copy
    copied = southmere.post(
        "/staff/agreements/copy",
        data={
            **asked,
            "title": "Southmere free school meals",
            "summary": "Southmere tells its schools which parents get Housing Benefit.",
        },
    )
    assert copied.status_code == 303
    page = southmere.get(copied.headers["location"])
    check_page(page.text)
    assert "Copied as a draft" in page.text
    assert "Southmere free school meals" in page.text
    new_id = copied.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert status(engine, new_id) == "draft"

    # The draft is changed field by field, each problem said against its field.
    edit = southmere.get(f"/staff/agreements/{new_id}/edit")
    check_page(edit.text)
    bad = {
        "csrf_token": csrf(edit.text),
        "title": "",
        "summary": "Changed.",
        "recipients": ["southmere-schools"],
        "purposes": ["free-school-meals"],
        "fields": ["housing-benefit-claims.first_name"],
        "valid_from": "2027-02-30",
        "valid_until": "2026-01-01",
    }
    refused = southmere.post(f"/staff/agreements/{new_id}/edit", data=bad)
    assert refused.status_code == 422
    check_page(refused.text, has_errors=True)
    assert 'href="#title"' in refused.text
    assert 'href="#valid_from"' in refused.text
    with db.transaction(engine) as session:
        assert register.get_agreement(session, new_id).title == "Southmere free school meals"
    saved = southmere.post(
        f"/staff/agreements/{new_id}/edit",
        data={
            **bad,
            "title": "Southmere school meals",
            "valid_from": "2027-01-01",
            "valid_until": "2028-03-31",
        },
    )
    assert saved.status_code == 303, saved.text
    with db.transaction(engine) as session:
        stored = register.agreement_document(register.get_agreement(session, new_id))
    assert (stored.title, stored.summary) == ("Southmere school meals", "Changed.")
    assert [(d.dataset, d.fields) for d in stored.datasets] == [
        ("housing-benefit-claims", ["first_name"])
    ]
    page = southmere.get(saved.headers["location"])
    assert "The draft is saved." in page.text

    # Activating asks first, saying what it will change; only the button on that page acts.
    confirm = southmere.get(f"/staff/agreements/{new_id}/activate")
    check_page(confirm.text)
    assert "Activate “Southmere school meals”?" in confirm.text
    assert "nothing is shared about a person until they give their consent" in confirm.text
    assert status(engine, new_id) == "draft"
    before = _ledger_size(engine)
    done = southmere.post(
        f"/staff/agreements/{new_id}/activate", data={"csrf_token": csrf(confirm.text)}
    )
    assert done.status_code == 303
    assert status(engine, new_id) == "active"
    shown = southmere.get(done.headers["location"])
    assert f"entry {before}" in shown.text
    assert southmere.get(f"/staff/agreements/{new_id}/edit").status_code == 303  # not a draft
    suspending = southmere.get(f"/staff/agreements/{new_id}/suspend")
    assert "will be refused from the moment you suspend it" in suspending.text
    suspend = southmere.post(
        f"/staff/agreements/{new_id}/suspend", data={"csrf_token": csrf(suspending.text)}
    )
    assert suspend.status_code == 303
    assert status(engine, new_id) == "suspended"
    with db.transaction(engine) as session:
        change = ledger.get_entry(session, before)
    assert b"@" not in change  # no one's email in the public log


def _ledger_size(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return ledger.sequenced_size(session)


def test_importing_yaml_checks_everything_and_writes_nothing_on_error(
    world: tuple[FastAPI, Engine], southmere: TestClient
) -> None:
    _, engine = world
    form = southmere.get("/staff/agreements/import")
    check_page(form.text)
    token = csrf(form.text)
    before = agreements(engine)
    for bad, says in (
        ("", "Paste one or more agreement documents"),
        ("sharewell: agreement/v1\nid: [", "not valid YAML"),
        (IMPORT.replace("discloser: southmere", "discloser: northbridge"), "only a discloser"),
        (IMPORT + "---\nsharewell: organisation/v1\nid: x\nname: X\nkind: council\n", "operator"),
        (IMPORT.replace("consent-route", "no-such-law"), "no-such-law"),
        ("sharewell: " + "[" * 900 + "]" * 900, "nests more than 64 levels deep"),
        (IMPORT + "recipients: [northbridge]\n", "appears twice in one mapping (lines"),
    ):
        answer = southmere.post("/staff/agreements/import", data={"csrf_token": token, "text": bad})
        assert answer.status_code == 422, bad
        check_page(answer.text, has_errors=True)
        assert says in answer.text
    assert agreements(engine) == before
    good = southmere.post("/staff/agreements/import", data={"csrf_token": token, "text": IMPORT})
    assert good.status_code == 200
    check_page(good.text)
    assert status(engine, "southmere-test-import") == "draft"


def test_create_starts_from_a_template_of_the_organisations_own_datasets(
    southmere: TestClient,
) -> None:
    page = southmere.get("/staff/agreements/new")
    check_page(page.text)
    assert "discloser: southmere" in page.text
    assert 'name="creating" value="true"' in page.text


def test_another_organisations_private_agreement_is_not_found(
    world: tuple[FastAPI, Engine], northbridge: TestClient, southmere: TestClient
) -> None:
    _, engine = world
    with db.transaction(engine) as session:
        register.import_documents(
            session,
            IMPORT.replace("southmere-test-import", "southmere-private-draft"),
            source="test",
        )
    missing = northbridge.get("/staff/agreements/no-such-agreement")
    private = northbridge.get("/staff/agreements/southmere-private-draft")
    assert [missing.status_code, private.status_code] == [404, 404]
    token = csrf(northbridge.get("/staff/agreements").text)
    for action in ("activate", "suspend"):
        answer = northbridge.post(
            f"/staff/agreements/southmere-private-draft/{action}", data={"csrf_token": token}
        )
        assert answer.status_code == 404
    assert status(engine, "southmere-private-draft") == "draft"
    # Nor can Southmere change Northbridge's own agreement it is not party to.
    answer = southmere.post(
        f"/staff/agreements/{SOURCE}/suspend",
        data={"csrf_token": csrf(southmere.get("/staff/agreements").text)},
    )
    assert answer.status_code == 404
    assert status(engine, SOURCE) == "active"


def test_forms_without_this_browsers_csrf_token_change_nothing(
    world: tuple[FastAPI, Engine], northbridge: TestClient, southmere: TestClient
) -> None:
    _, engine = world
    before = agreements(engine)
    others = csrf(southmere.get("/staff/agreements").text)
    for token in (None, "forged", others):
        data = {} if token is None else {"csrf_token": token}
        assert northbridge.post(f"/staff/agreements/{SOURCE}/suspend", data=data).status_code == 403
        copy = northbridge.post(
            "/staff/agreements/copy",
            data={**data, "source": "northbridge-southmere-shared-service"},
        )
        assert copy.status_code == 403
        assert (
            northbridge.post("/staff/agreements/import", data={**data, "text": IMPORT}).status_code
            == 403
        )
    assert status(engine, SOURCE) == "active"
    assert agreements(engine) == before


def test_other_roles_and_signed_out_visitors_are_refused(world: tuple[FastAPI, Engine]) -> None:
    app, engine = world
    officer = sign_in(app, engine, "officer@southmere.example")
    for path in (
        "/staff/agreements",
        "/staff/agreements/copy",
        "/staff/consents",
        "/staff/denials",
    ):
        assert officer.get(path).status_code == 403
        nobody = TestClient(app, base_url="https://sharewell.test", follow_redirects=False)
        assert nobody.get(path).status_code == 303


def test_consents_and_refusals_are_counted_without_naming_anyone(
    northbridge: TestClient,
) -> None:
    consents = northbridge.get("/staff/consents")
    check_page(consents.text)
    row = re.search(
        r"Free school meals from Housing Benefit awards, with consent</a></th>(.*?)</tr>",
        consents.text,
        re.S,
    )
    assert row is not None
    assert re.findall(r"numeric\">(\d+)<", row.group(1))[0] == "3"  # Ada, Alan and Grace
    denials = northbridge.get("/staff/denials")
    check_page(denials.text)
    assert "Some of the information asked for is not covered by the agreement" in denials.text
    assert "AB123456C" not in denials.text + consents.text
    assert northbridge.get("/staff/denials", params={"period": "7"}).status_code == 422


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_in_a_browser_a_dpo_copies_an_agreement_and_activates_it(
    browser: Browser, world: tuple[FastAPI, Engine], javascript: bool
) -> None:
    app, engine = world
    email = BROWSER_DPOS["js" if javascript else "no-js"]
    with served(app) as base:
        context = browser.new_context(java_script_enabled=javascript, bypass_csp=javascript)
        page = context.new_page()
        staff_signs_in(page, base, engine, email, PASSWORD)
        page.get_by_role("link", name="Agreements").first.click()
        check_page_in_browser(page, "dpo-agreements", javascript)
        page.get_by_role("button", name="Copy another council's agreement").click()
        check_page_in_browser(page, "dpo-copy", javascript)
        page.get_by_role("button", name="Copy as a draft").click()  # nothing chosen
        assert page.title().startswith("Error: ")
        check_page_in_browser(page, "dpo-copy-error", javascript)
        page.get_by_label("Free school meals from Housing Benefit awards, with consent").check()
        page.get_by_label("Who will receive the data under your copy?").select_option(
            "southmere-schools"
        )
        page.get_by_label("Id for your copy (optional)").fill(f"southmere-fsm-{email[:4]}")
        page.get_by_label("Title of your copy").fill(f"Southmere school meals ({email[:4]})")
        page.get_by_label("Summary of your copy").fill("Southmere tells its schools.")
        page.get_by_role("button", name="Copy as a draft").click()
        assert "Copied as a draft" in page.content()
        check_page_in_browser(page, "dpo-copied", javascript)
        page.get_by_role("link", name="Change this draft").click()
        check_page_in_browser(page, "dpo-edit", javascript)
        page.get_by_label("Ends on").fill("not a date")
        page.get_by_role("button", name="Save the draft").click()
        assert page.title().startswith("Error: ")
        check_page_in_browser(page, "dpo-edit-error", javascript)
        page.get_by_label("Ends on").fill("2029-03-31")
        page.get_by_label("Summary").fill("Southmere tells its schools which parents qualify.")
        page.get_by_role("button", name="Save the draft").click()
        assert "The draft is saved." in page.content()
        page.get_by_role("button", name="Activate this agreement").click()
        assert page.locator("h1").inner_text().startswith("Activate “Southmere school meals")
        check_page_in_browser(page, "dpo-activate-confirm", javascript)
        page.get_by_role("button", name="Activate it now").click()
        assert "The agreement is now active." in page.content()
        check_page_in_browser(page, "dpo-activated", javascript)
        for name, path in (
            ("dpo-consents", "/staff/consents"),
            ("dpo-denials", "/staff/denials"),
            ("dpo-import", "/staff/agreements/import"),
            ("dpo-new", "/staff/agreements/new"),
        ):
            page.goto(base + path)
            check_page_in_browser(page, name, javascript)
        context.close()
