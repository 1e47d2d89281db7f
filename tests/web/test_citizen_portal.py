"""The citizen portal through the real sign-in (the local OpenID Connect provider over HTTP):
signing in and out, "Your data", a record and its check, the proof and trail key downloads,
consent choices. And every way of reaching someone else's record, refused."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from factories.citizens import (
    TEST_APP,
    LocalProvider,
    back_to_app,
    citizen_client,
    provider_signs_in,
    query_of,
)
from factories.databases import fresh_database, migrated_engine
from factories.portal import ADA, ALAN, CITIZEN_PASSWORD, GRACE, build_borough, school_asks
from factories.serving import served
from factories.staff import PASSWORD, csrf, enrol_all_staff, sign_in
from factories.wording import JARGON, MACHINE_NAME
from sharewell import db
from sharewell.accounts.models import CitizenAccount
from sharewell.cli import app as cli
from sharewell.config import Settings
from sharewell.consent import services as consent
from sharewell.consent.models import ConsentRecord
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import open_entry, read_trail_keys
from sharewell.ledger.keys import ensure_signing_key
from sharewell.web.app import create_app
from web.pages import check_page

NOBODY = {"nino": "", "email": "no-nino@example.com", "name": "No Number"}
__all__ = ["PASSWORD"]


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, oidc_provider: LocalProvider
) -> Iterator[tuple[FastAPI, Engine, Path]]:
    home = tmp_path_factory.mktemp("portal")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        settings = Settings(home=home, database_url=url, oidc=oidc_provider.settings)
        signer, _ = ensure_signing_key(settings)
        with db.transaction(engine) as session:
            build_borough(session, home)
            enrol_all_staff(session)
            ledger.integrate(session, signer)
        for person in (ADA, ALAN, GRACE):
            oidc_provider.add_user(
                person["email"], CITIZEN_PASSWORD, person["name"], person["nino"]
            )
        oidc_provider.add_user(NOBODY["email"], CITIZEN_PASSWORD, NOBODY["name"], "")
        yield create_app(settings, engine=engine), engine, home
        engine.dispose()


@pytest.fixture(scope="module")
def ada(world: tuple[FastAPI, Engine, Path]) -> TestClient:
    return citizen_client(world[0], ADA["email"], CITIZEN_PASSWORD)


@pytest.fixture(scope="module")
def alan(world: tuple[FastAPI, Engine, Path]) -> TestClient:
    return citizen_client(world[0], ALAN["email"], CITIZEN_PASSWORD)


def entry_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/your-data/entries/(\d+)"', html)]


def subject_of(engine: Engine, nino: str) -> str:
    with db.transaction(engine) as session:
        return consent.resolve_subject(session, "nino", nino).id


# --------------------------------------------------------------------------- signing in


def test_your_data_asks_a_signed_out_visitor_to_sign_in_and_brings_them_back(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    client = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    answer = client.get("/your-data/choices")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Fyour-data%2Fchoices"
    page = client.get(answer.headers["location"])
    check_page(page.text)
    assert 'href="/sign-in/start?next=%2Fyour-data%2Fchoices"' in page.text
    start = client.get("/sign-in/start", params={"next": "/your-data/choices"})
    done = client.get(
        back_to_app(provider_signs_in(start.headers["location"], ADA["email"], CITIZEN_PASSWORD))
    )
    assert done.headers["location"] == "/your-data/choices"


def test_the_authorisation_request_carries_state_nonce_and_pkce(
    world: tuple[FastAPI, Engine, Path], oidc_provider: LocalProvider
) -> None:
    client = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    location = client.get("/sign-in/start").headers["location"]
    assert location.startswith(oidc_provider.url + "/authorize?")
    query = query_of(location)
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == TEST_APP + "/sign-in/callback"
    assert "openid" in query["scope"].split()
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 20
    assert len(query["nonce"]) >= 20


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_sends_the_browser_to_another_site(
    world: tuple[FastAPI, Engine, Path], next_path: str
) -> None:
    client = citizen_client(world[0], GRACE["email"], CITIZEN_PASSWORD, next_path="/your-data")
    start = client.get("/sign-in/start", params={"next": next_path})
    done = client.get(
        back_to_app(provider_signs_in(start.headers["location"], GRACE["email"], CITIZEN_PASSWORD))
    )
    assert done.headers["location"] == "/your-data"


def test_a_wrong_password_at_the_provider_signs_nobody_in(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    client = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    start = client.get("/sign-in/start")
    answer = provider_signs_in(start.headers["location"], ADA["email"], "not the password")
    assert answer.status_code == 401
    assert "The email address or password is wrong" in answer.text
    assert client.get("/your-data").status_code == 303


def test_choosing_not_to_sign_in_is_explained_and_signs_nobody_in(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    client = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    start = client.get("/sign-in/start")
    cancelled = provider_signs_in(start.headers["location"], "", "", action="cancel")
    answer = client.get(back_to_app(cancelled))
    assert answer.status_code == 401
    assert "you chose not to sign in" in answer.text
    assert client.get("/your-data").status_code == 303


def test_a_callback_with_another_browsers_state_or_a_replayed_code_is_refused(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    app = world[0]
    victim = TestClient(app, base_url=TEST_APP, follow_redirects=False)
    attacker = TestClient(app, base_url=TEST_APP, follow_redirects=False)
    start = victim.get("/sign-in/start")
    callback = back_to_app(
        provider_signs_in(start.headers["location"], ADA["email"], CITIZEN_PASSWORD)
    )
    # Another browser (without this sign-in's state in its cookie) cannot use the answer.
    attacker.get("/sign-in/start")
    refused = attacker.get(callback)
    assert refused.status_code == 401
    assert attacker.get("/your-data").status_code == 303
    # The same answer twice: the first signs in, the second (state spent, code used) does not.
    assert victim.get(callback).status_code == 303
    again = TestClient(app, base_url=TEST_APP, follow_redirects=False)
    again.cookies.update(victim.cookies)
    replay = victim.get(callback)
    assert replay.status_code == 401


def test_a_tampered_state_is_refused(world: tuple[FastAPI, Engine, Path]) -> None:
    client = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    start = client.get("/sign-in/start")
    callback = back_to_app(
        provider_signs_in(start.headers["location"], ADA["email"], CITIZEN_PASSWORD)
    )
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    assert client.get(forged).status_code == 401
    assert client.get("/your-data").status_code == 303


def test_a_sign_in_without_a_national_insurance_number_is_refused(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    _, engine, _ = world
    with db.transaction(engine) as session:
        before = session.scalar(select(func.count()).select_from(CitizenAccount))
    client = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    start = client.get("/sign-in/start")
    answer = client.get(
        back_to_app(provider_signs_in(start.headers["location"], NOBODY["email"], CITIZEN_PASSWORD))
    )
    assert answer.status_code == 401
    assert "National Insurance number" in answer.text
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(CitizenAccount)) == before


def test_signing_in_again_finds_the_same_person(world: tuple[FastAPI, Engine, Path]) -> None:
    first = citizen_client(world[0], ALAN["email"], CITIZEN_PASSWORD)
    second = citizen_client(world[0], ALAN["email"], CITIZEN_PASSWORD)
    assert entry_numbers(first.get("/your-data").text) == entry_numbers(
        second.get("/your-data").text
    )


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    client = citizen_client(world[0], GRACE["email"], CITIZEN_PASSWORD)
    copy = TestClient(world[0], base_url=TEST_APP, follow_redirects=False)
    copy.cookies.update(client.cookies)
    assert copy.get("/account").status_code == 200
    page = client.get("/account")
    assert client.post("/sign-out", data={}).status_code == 403  # no CSRF token
    out = client.post("/sign-out", data={"csrf_token": csrf(page.text)})
    assert out.status_code == 200
    check_page(out.text)
    assert copy.get("/account").status_code == 303


def test_a_staff_session_is_not_a_citizen_session(world: tuple[FastAPI, Engine, Path]) -> None:
    app, engine, _ = world
    officer = sign_in(app, engine, "office@schools.northbridge.example")
    assert officer.get("/your-data").status_code == 303


# --------------------------------------------------------------------------- your data


def test_your_data_shows_every_use_in_plain_english_and_only_the_persons_own(
    world: tuple[FastAPI, Engine, Path], ada: TestClient, alan: TestClient
) -> None:
    page = ada.get("/your-data")
    assert page.status_code == 200
    check_page(page.text)
    assert "Signed in as Ada Lovelace" in page.text
    assert "Northbridge Schools Trust asked for information about you." in page.text
    assert "Partly shared" in page.text
    assert "First name" in page.text  # released, by its title
    assert "Asked for but not shared" in page.text
    assert "You had given your consent." in page.text
    # The law in a resident's words, its short name linked to its source.
    assert "Information may be shared if you agree to it, and only while you agree" in page.text
    assert "UK General Data Protection Regulation, Article 6(1)(a)" in page.text
    assert "data subject" not in page.text
    assert 'href="https://api.parliament.uk/historic-hansard/' in page.text
    assert 'href="/register/agreements/northbridge-hb-fsm-consent"' in page.text
    mine, theirs = entry_numbers(page.text), entry_numbers(alan.get("/your-data").text)
    assert mine
    assert mine == sorted(mine, reverse=True)
    assert not set(mine) & set(theirs)
    assert "AB123456C" not in page.text  # even her own NINO is not needed on the page


def test_filters_work_as_a_plain_get_form(ada: TestClient) -> None:
    everything = entry_numbers(ada.get("/your-data").text)
    consents = ada.get("/your-data", params={"outcome": "granted"})
    check_page(consents.text)
    assert len(entry_numbers(consents.text)) == 1
    assert "1 of" in consents.text
    nothing = ada.get("/your-data", params={"organisation": "nobody"})
    assert entry_numbers(nothing.text) == []
    assert "No records match" in nothing.text
    assert entry_numbers(ada.get("/your-data", params={"outcome": ""}).text) == everything
    assert ada.get("/your-data", params={"purpose": "x" * 101}).status_code == 422


def test_another_persons_record_is_not_found_by_id_by_check_or_by_proof(
    ada: TestClient, alan: TestClient
) -> None:
    (theirs, *_) = entry_numbers(alan.get("/your-data").text)
    missing = 10**9
    for path in (
        "/your-data/entries/{}",
        "/your-data/entries/{}/check",
        "/your-data/entries/{}/proof.json",
        "/your-data/choices/recorded/{}",
    ):
        answers = [ada.get(path.format(n)) for n in (theirs, missing)]
        assert [a.status_code for a in answers] == [404, 404]
        # Not found says the same, word for word, whether or not the record exists.
        assert answers[0].text.replace(f"record {theirs} ", "record N ") == answers[1].text.replace(
            f"record {missing} ", "record N "
        )
    # An address that names no record is a page not found, not a form to correct.
    for malformed in ("-1", "abc", str(2**63)):
        answer = ada.get(f"/your-data/entries/{malformed}")
        assert answer.status_code == 404
        check_page(answer.text)
        assert "Page not found" in answer.text


def test_checking_a_record_verifies_it_against_the_signed_checkpoint(ada: TestClient) -> None:
    newest = entry_numbers(ada.get("/your-data").text)[0]
    record = ada.get(f"/your-data/entries/{newest}")
    check_page(record.text)
    checked = ada.get(f"/your-data/entries/{newest}/check")
    check_page(checked.text)
    assert "This record is in the public log" in checked.text


def test_the_proof_bundle_verifies_offline_with_the_sharewell_command(
    world: tuple[FastAPI, Engine, Path],
    ada: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, home = world
    newest = entry_numbers(ada.get("/your-data").text)[0]
    download = ada.get(f"/your-data/entries/{newest}/proof.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert download.headers["cache-control"] == "no-store"
    bundle = json.loads(download.text)
    assert bundle["index"] == newest
    assert b"AB123456C" not in base64.b64decode(bundle["entry"])
    (tmp_path / "proof.json").write_text(download.text, encoding="utf-8")
    monkeypatch.setenv("SHAREWELL_HOME", str(home))
    result = CliRunner().invoke(
        cli, ["verify", "inclusion", str(tmp_path / "proof.json"), "--key", bundle["public_key"]]
    )
    assert result.exit_code == 0, result.output
    assert f"Entry {newest} is in the log" in result.output


def test_the_trail_key_opens_exactly_the_persons_entries(
    world: tuple[FastAPI, Engine, Path], ada: TestClient
) -> None:
    _, engine, _ = world
    download = ada.get("/your-data/trail-key")
    assert download.status_code == 200
    assert download.headers["cache-control"] == "no-store"
    keys = read_trail_keys(download.text)
    shown = set(entry_numbers(ada.get("/your-data").text))
    with db.transaction(engine) as session:
        opened = {
            index
            for index, data in ledger.iter_entries(session)
            if open_entry(data, keys) is not None
        }
    assert opened == shown


def test_how_to_check_explains_both_checks(ada: TestClient) -> None:
    page = ada.get("/your-data/how-to-check")
    check_page(page.text)
    assert "sharewell verify inclusion" in page.text
    assert "sharewell verify trail" in page.text
    assert 'href="/your-data/trail-key"' in page.text


# --------------------------------------------------------------------------- choices


def test_withdrawing_consent_is_confirmed_recorded_and_denies_the_next_request(
    world: tuple[FastAPI, Engine, Path], alan: TestClient
) -> None:
    _, engine, _ = world
    choices = alan.get("/your-data/choices")
    check_page(choices.text)
    assert "You have given consent" in choices.text
    confirm = alan.get("/your-data/choices/northbridge-hb-fsm-consent/withdrawn")
    check_page(confirm.text)
    done = alan.post(
        "/your-data/choices/northbridge-hb-fsm-consent/withdrawn",
        data={"csrf_token": csrf(confirm.text)},
    )
    assert done.status_code == 303
    recorded = alan.get(done.headers["location"])
    check_page(recorded.text)
    assert "Your choice is recorded" in recorded.text
    index = int(done.headers["location"].rsplit("/", 1)[1])
    with db.transaction(engine) as session:
        school_asks(session, ALAN["nino"])
    newest = alan.get("/your-data")
    numbers = entry_numbers(newest.text)
    assert numbers[1] == index  # the withdrawal, then the request it stopped
    assert "You had withdrawn your consent, so nothing was shared." in newest.text
    after = alan.get("/your-data/choices")
    assert "You have withdrawn consent" in after.text


def test_a_choice_without_this_browsers_csrf_token_is_refused_and_records_nothing(
    world: tuple[FastAPI, Engine, Path], ada: TestClient, alan: TestClient
) -> None:
    _, engine, _ = world
    with db.transaction(engine) as session:
        before = session.scalar(select(func.count()).select_from(ConsentRecord))
    path = "/your-data/choices/northbridge-hb-fsm-consent/withdrawn"
    for token in (None, "forged", csrf(alan.get("/your-data/choices").text)):
        answer = ada.post(path, data={} if token is None else {"csrf_token": token})
        assert answer.status_code == 403
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == before


def test_a_change_the_agreement_does_not_offer_is_refused(
    world: tuple[FastAPI, Engine, Path], ada: TestClient
) -> None:
    _, engine, _ = world
    confirm = ada.get("/your-data/choices/northbridge-hb-fsm-consent/objected")
    assert confirm.status_code == 422
    assert confirm.text.count("Error: ") == 1
    unknown = ada.get("/your-data/choices/no-such-agreement/granted")
    assert unknown.status_code == 404
    assert ada.get("/your-data/choices/northbridge-hb-fsm-consent/deleted").status_code == 404
    with db.transaction(engine) as session:
        before = session.scalar(select(func.count()).select_from(ConsentRecord))
    token = csrf(ada.get("/your-data/choices").text)
    answer = ada.post(
        "/your-data/choices/northbridge-hb-fsm-consent/objected", data={"csrf_token": token}
    )
    assert answer.status_code == 422
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == before


def test_the_downloaded_trail_key_finds_the_same_records_in_the_published_log(
    world: tuple[FastAPI, Engine, Path],
    ada: TestClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the how-to-check page tells a resident to run, run against the served log."""
    app, _, home = world
    (tmp_path / "trail-key.json").write_text(ada.get("/your-data/trail-key").text)
    shown = entry_numbers(ada.get("/your-data").text)
    monkeypatch.setenv("SHAREWELL_HOME", str(home))
    log_key = CliRunner().invoke(cli, ["ledger", "public-key"]).output.strip()
    with served(app) as base:
        result = CliRunner().invoke(
            cli,
            [
                "verify",
                "trail",
                f"{base}/log",
                "--key",
                str(tmp_path / "trail-key.json"),
                "--log-key",
                log_key,
            ],
        )
    assert result.exit_code == 0, result.output
    assert f"{len(shown)} of " in result.output


def _visible_text(html: str) -> str:
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style|code)\b.*?</\1>", " ", main, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main.split(">", 1)[1])).split())


def test_a_residents_pages_say_true_things_in_plain_words(
    ada: TestClient, alan: TestClient
) -> None:
    """Every page of two residents' trails (shared in part, refused, their choices), as they
    read them: no codes or machine names, no legal jargon, and no refusal that begins by
    saying what allows it."""
    pages = {}
    for resident, who in ((ada, "ada"), (alan, "alan")):
        overview = resident.get("/your-data").text
        pages[f"{who} /your-data"] = overview
        pages[f"{who} /your-data/choices"] = resident.get("/your-data/choices").text
        for index in entry_numbers(overview):
            pages[f"{who} /your-data/entries/{index}"] = resident.get(
                f"/your-data/entries/{index}"
            ).text
    outcomes = set()
    for path, html in pages.items():
        text = _visible_text(html)
        assert not MACHINE_NAME.search(text.replace("UK General Data Protection", "")), (
            path,
            MACHINE_NAME.search(text),
        )
        assert not JARGON.search(text.lower()), (path, JARGON.search(text.lower()))
        assert "<br>" not in text
        if "/entries/" in path and "The reason" in text:  # a decision
            happened = text.split("What happened", 1)[1][:30]
            reason = text.split("The reason", 1)[1].lstrip()
            if "Not shared" in happened:
                outcomes.add("refused")
                assert not reason.startswith(("A law allows", "You had given"))
                assert "The law the agreement relies on" in text or "No law was found" in text
            elif "Partly shared" in happened:
                outcomes.add("partly shared")
                assert reason.startswith("Some of the information asked for is not covered")
    assert outcomes == {"refused", "partly shared"}  # the test saw both kinds


# --------------------------------------------------------------------------- a new trail key


def test_a_new_trail_key_keeps_every_record_findable_and_needs_this_browsers_token(
    world: tuple[FastAPI, Engine, Path], alan: TestClient, ada: TestClient
) -> None:
    _, engine, _ = world
    before = read_trail_keys(alan.get("/your-data/trail-key").text)
    confirm = alan.get("/your-data/trail-key/new")
    check_page(confirm.text)
    assert confirm.headers["cache-control"] == "no-store"
    for token in (None, "forged", csrf(ada.get("/your-data/trail-key/new").text)):
        refused = alan.post(
            "/your-data/trail-key/new", data={} if token is None else {"csrf_token": token}
        )
        assert refused.status_code == 403
    assert read_trail_keys(alan.get("/your-data/trail-key").text) == before
    done = alan.post("/your-data/trail-key/new", data={"csrf_token": csrf(confirm.text)})
    assert done.status_code == 303
    page = alan.get(done.headers["location"])
    check_page(page.text)
    assert "You have a new trail key" in page.text
    keys = read_trail_keys(alan.get("/your-data/trail-key").text)
    assert len(keys) == len(before) + 1
    assert keys[1:] == before  # the old keys are kept, newest first
    with db.transaction(engine) as session:
        school_asks(session, ALAN["nino"])  # written under the new key
    shown = set(entry_numbers(alan.get("/your-data").text))
    with db.transaction(engine) as session:
        entries = list(ledger.iter_entries(session))
    assert {i for i, data in entries if open_entry(data, keys) is not None} == shown
    assert {i for i, data in entries if open_entry(data, before) is not None} < shown
    assert max(shown) in {i for i, data in entries if open_entry(data, keys[:1]) is not None}


def test_a_signed_out_visitor_cannot_ask_for_a_new_trail_key(
    world: tuple[FastAPI, Engine, Path],
) -> None:
    app, _, _ = world
    visitor = TestClient(app, follow_redirects=False)
    assert visitor.get("/your-data/trail-key/new").status_code == 303
    assert visitor.post("/your-data/trail-key/new").status_code in (303, 403)
