"""The staff path: sign in with a password and a TOTP code, ask the broker about a person, see
the decision and its ledger entry. And every way in that should be refused."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from factories.broker import ada_consents
from factories.databases import fresh_database, migrated_engine
from factories.staff import PASSWORD, browser, csrf, enrol_all_staff, fresh_code, sign_in
from sharewell import db
from sharewell.broker.models import BrokerDecision
from sharewell.config import Settings
from sharewell.consent import services as consent
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import open_entry
from sharewell.web.app import create_app
from web.pages import check_page

OFFICER = "office@schools.northbridge.example"  # Northbridge Schools: a recipient
ADVISER = "adviser@advice.northbridge.example"  # Citizens Advice: not a party to FSM sharing
DPO = "dpo@northbridge.example"
ASK = {
    "purpose": "free-school-meals",
    "agreement": "northbridge-hb-fsm-consent",
    "nino": "AB 12 34 56 C",
    "fields": ["housing-benefit-claims.first_name"],
    "other_fields": "housing-benefit-claims.weekly_income",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Engine]]:
    home = tmp_path_factory.mktemp("staff")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            ada_consents(session, home)
            enrol_all_staff(session)
        yield create_app(Settings(home=home, database_url=url), engine=engine), engine
        engine.dispose()


@pytest.fixture(scope="module")
def officer(world: tuple[FastAPI, Engine]) -> TestClient:
    """Signed in once: a TOTP code works once, and there are three in any 90 seconds."""
    app, engine = world
    return sign_in(app, engine, OFFICER)


def ask(client: TestClient, **changes: object) -> object:
    form = client.get("/staff/requests/new")
    assert form.status_code == 200, form.text
    check_page(form.text)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text)
    assert key
    data = {**ASK, "csrf_token": csrf(form.text), "idempotency_key": key.group(1), **changes}
    return client.post("/staff/requests", data=data)


def decisions(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(BrokerDecision)) or 0


def test_an_officer_signs_in_asks_and_sees_the_decision_on_the_ledger(world, officer) -> None:  # type: ignore[no-untyped-def]
    _, engine = world
    home = officer.get("/staff")
    check_page(home.text)
    assert "Jo Walsh" in home.text
    before = decisions(engine)
    answer = ask(officer)
    assert answer.status_code == 200, answer.text
    check_page(answer.text)
    assert "Partly shared" in answer.text
    assert "Ada" in answer.text
    assert "120.00" not in answer.text  # weekly income is not in the agreement
    assert "Some of the information asked for is not covered by the agreement" in answer.text
    assert "field_not_in_agreement" not in answer.text  # staff read words, not codes
    # The page names the person it is about, as the officer asked.
    assert "The person with National Insurance number AB 12 34 56 C" in answer.text
    assert decisions(engine) == before + 1  # committed before the page was sent
    index = int(re.search(r"Entry (\d+)", answer.text).group(1))  # type: ignore[union-attr]
    with db.transaction(engine) as session:
        entry = ledger.get_entry(session, index)
        ada = consent.trail_keys(session, consent.resolve_subject(session, "nino", "AB123456C").id)
    opened = open_entry(entry, ada)
    assert opened is not None  # sealed for the person it is about, who reads:
    assert opened.facts["requested_by"] == "staff"
    assert b"Ada" not in entry  # field names on the ledger, never values


def test_sending_the_same_form_again_adds_no_entry(world, officer) -> None:  # type: ignore[no-untyped-def]
    _, engine = world
    form = officer.get("/staff/requests/new")
    data = {
        **ASK,
        "csrf_token": csrf(form.text),
        "idempotency_key": re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1),  # type: ignore[union-attr]
    }
    first = officer.post("/staff/requests", data=data)
    count = decisions(engine)
    second = officer.post("/staff/requests", data=data)
    assert second.status_code == 200
    assert "already decided" in second.text
    assert re.search(r"Entry \d+", first.text).group(0) == re.search(
        r"Entry \d+", second.text
    ).group(0)  # type: ignore[union-attr]
    assert decisions(engine) == count


def test_the_form_offers_only_what_the_officers_agreements_cover_in_words(officer) -> None:  # type: ignore[no-untyped-def]
    form = officer.get("/staff/requests/new").text
    assert '<option value="free-school-meals"' in form
    assert '<option value="council-tax"' not in form  # no agreement covers it
    assert "First name" in form  # the field's title, as the discloser's dataset names it
    assert 'value="housing-benefit-claims.first_name"' in form
    assert ">housing-benefit-claims.first_name<" not in form  # never shown as a machine name
    assert "Free school meals from Housing Benefit awards, with consent" in form


def test_a_request_that_can_only_be_refused_is_explained_before_it_is_sent(world, officer) -> None:  # type: ignore[no-untyped-def]
    _, engine = world
    before = decisions(engine)
    warned = ask(officer, fields=[], other_fields="housing-benefit-claims.weekly_income")
    assert warned.status_code == 422
    check_page(warned.text, has_errors=True)
    assert "so the request would be refused" in warned.text
    assert "The person would still see it" in warned.text
    assert decisions(engine) == before  # nothing sent, nothing recorded
    sent = ask(
        officer, fields=[], other_fields="housing-benefit-claims.weekly_income", send_anyway="true"
    )
    assert sent.status_code == 200
    assert "Refused" in sent.text
    assert decisions(engine) == before + 1


def test_an_officer_of_an_organisation_not_party_is_refused_and_gets_nothing(world) -> None:  # type: ignore[no-untyped-def]
    app, engine = world
    adviser = sign_in(app, engine, ADVISER)
    form = adviser.get("/staff/requests/new").text
    assert '<option value="free-school-meals"' not in form  # none of its agreements covers it
    warned = ask(adviser)
    assert warned.status_code == 422
    assert "so the request would be refused" in warned.text
    answer = ask(adviser, send_anyway="true")
    assert answer.status_code == 200
    assert "Refused" in answer.text
    assert "The organisation that asked is not one the agreement shares with" in answer.text
    assert "A law the agreement relies on allows" not in answer.text  # not on a refusal
    assert "Ada" not in answer.text
    assert "Information released" not in answer.text


def test_a_bad_national_insurance_number_is_shown_on_the_form_and_writes_nothing(
    world, officer
) -> None:  # type: ignore[no-untyped-def]
    _, engine = world
    before = decisions(engine)
    answer = ask(officer, nino="123")
    assert answer.status_code == 422
    check_page(answer.text, has_errors=True)
    assert 'href="#nino"' in answer.text
    assert 'value="123"' in answer.text  # what was typed is kept
    assert decisions(engine) == before
    no_fields = ask(officer, fields=[], other_fields="")
    assert no_fields.status_code == 422
    assert 'href="#fields"' in no_fields.text  # the checkboxes of what the agreements cover


def test_staff_pages_need_a_signed_in_session(world) -> None:  # type: ignore[no-untyped-def]
    app, _ = world
    anonymous = browser(app)
    for path in ("/staff", "/staff/requests/new"):
        response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/sign-in"
    refused = anonymous.post("/staff/requests", data={**ASK, "csrf_token": "x"})
    assert refused.status_code in (303, 403)


def test_a_role_without_the_page_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    app, engine = world
    dpo_browser = sign_in(app, engine, DPO)
    response = dpo_browser.get("/staff/requests/new")
    assert response.status_code == 403
    check_page(response.text)


def test_a_wrong_password_or_unknown_email_says_the_same_and_signs_nobody_in(world) -> None:  # type: ignore[no-untyped-def]
    app, _ = world
    client = browser(app)
    form = client.get("/staff/sign-in")
    messages = []
    for email, password in ((OFFICER, "wrong password!"), ("nobody@nowhere.example", PASSWORD)):
        response = client.post(
            "/staff/sign-in",
            data={"email": email, "password": password, "csrf_token": csrf(form.text)},
        )
        assert response.status_code == 401
        check_page(response.text, has_errors=True)
        messages.append(re.search(r'class="govuk-error-message">(.*?)</p>', response.text, re.S))
    assert messages[0]
    assert messages[1]
    assert messages[0].group(0) == messages[1].group(0)
    assert client.get("/staff/sign-in/code").status_code == 303  # no password, no code page
    assert client.get("/staff").status_code == 303


def test_a_wrong_or_reused_code_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    app, engine = world
    email = "auditor@northbridge.example"
    client = browser(app)
    form = client.get("/staff/sign-in")
    client.post(
        "/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf(form.text)}
    )
    page = client.get("/staff/sign-in/code")
    code = fresh_code(engine, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = client.post(
        "/staff/sign-in/code", data={"code": wrong, "csrf_token": csrf(page.text)}
    )
    assert refused.status_code == 401
    check_page(refused.text, has_errors=True)
    accepted = client.post(
        "/staff/sign-in/code", data={"code": code, "csrf_token": csrf(page.text)}
    )
    assert accepted.status_code == 303
    # Someone who saw the code cannot use it again, even straight away.
    other = browser(app)
    form = other.get("/staff/sign-in")
    other.post(
        "/staff/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": csrf(form.text)}
    )
    page = other.get("/staff/sign-in/code")
    replayed = other.post("/staff/sign-in/code", data={"code": code, "csrf_token": csrf(page.text)})
    assert replayed.status_code == 401


def test_forms_without_this_browsers_csrf_token_are_refused_and_change_nothing(
    world, officer
) -> None:  # type: ignore[no-untyped-def]
    app, engine = world
    anonymous = browser(app)
    anonymous.get("/staff/sign-in")
    missing = anonymous.post("/staff/sign-in", data={"email": OFFICER, "password": PASSWORD})
    assert missing.status_code == 403
    before = decisions(engine)
    forged = officer.post("/staff/requests", data={**ASK, "csrf_token": "forged-token-value"})
    assert forged.status_code == 403
    other = browser(app)
    borrowed = csrf(other.get("/staff/sign-in").text)  # a real token, from another browser
    assert officer.post("/staff/requests", data={**ASK, "csrf_token": borrowed}).status_code == 403
    assert decisions(engine) == before


def test_signing_out_ends_the_session_even_for_a_copied_cookie(world) -> None:  # type: ignore[no-untyped-def]
    app, engine = world
    officer = sign_in(app, engine, "admin@northbridge.example")
    cookie = officer.cookies.get("sharewell_session")
    assert cookie
    home = officer.get("/staff")
    out = officer.post("/staff/sign-out", data={"csrf_token": csrf(home.text)})
    assert out.status_code == 200
    check_page(out.text)
    copy = browser(app)
    copy.cookies.set("sharewell_session", cookie)
    assert copy.get("/staff").status_code == 303


def test_the_session_cookie_is_http_only_and_same_site(world) -> None:  # type: ignore[no-untyped-def]
    app, _ = world
    response = browser(app).get("/staff/sign-in")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
