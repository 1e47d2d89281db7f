"""A resident in a real browser (Debian's Chromium), with JavaScript on and off: signs in at the
local OpenID Connect provider, finds a decision about them, checks it against the signed log,
withdraws consent, and sees the next request refused in their trail. Every page passes axe at
375 px and 1280 px, and screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser
from sqlalchemy import Engine

from factories.browser import check_page_in_browser
from factories.citizens import LocalProvider
from factories.databases import fresh_database, migrated_engine
from factories.portal import ADA, ALAN, CITIZEN_PASSWORD, build_borough, school_asks
from factories.serving import served
from sharewell import db
from sharewell.config import Settings
from sharewell.ledger import services as ledger
from sharewell.ledger.keys import ensure_signing_key
from sharewell.web.app import create_app

RESIDENTS = {"js": ADA, "no-js": ALAN}  # one each: each run withdraws their consent


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, oidc_provider: LocalProvider
) -> Iterator[tuple[str, Engine]]:
    home = tmp_path_factory.mktemp("journey")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        settings = Settings(home=home, database_url=url, oidc=oidc_provider.settings)
        signer, _ = ensure_signing_key(settings)
        with db.transaction(engine) as session:
            build_borough(session, home)
            ledger.integrate(session, signer)
        for person in RESIDENTS.values():
            oidc_provider.add_user(
                person["email"], CITIZEN_PASSWORD, person["name"], person["nino"]
            )
        app: FastAPI = create_app(settings, engine=engine)
        with served(app) as base:
            oidc_provider.allow(base)
            yield base, engine
        engine.dispose()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_resident_checks_a_decision_withdraws_consent_and_sees_the_next_refusal(
    browser: Browser, site: tuple[str, Engine], javascript: bool
) -> None:
    base, engine = site
    mode = "js" if javascript else "no-js"
    person = RESIDENTS[mode]
    # Only the JavaScript run bypasses the page's CSP (to inject axe): the other signs in
    # under the real policy, which a sign-in at another site must work with.
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(base + "/your-data")
    assert page.locator("h1").inner_text() == "Sign in to see how your data is used"
    check_page_in_browser(page, "citizen-sign-in", javascript)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.startswith(base) is False  # at the provider now
    check_page_in_browser(page, "citizen-provider-sign-in", javascript)
    page.get_by_label("Email address").fill(person["email"])
    page.get_by_label("Password").fill(CITIZEN_PASSWORD)
    page.get_by_role("button", name="Continue").click()

    assert page.locator("h1").inner_text() == "Your data"
    assert "Signed in as " + person["name"] in page.content()
    check_page_in_browser(page, "citizen-your-data", javascript)
    decision = page.locator(".govuk-summary-card", has_text="asked for information about you")
    assert decision.count() == 1
    assert "Partly shared" in decision.inner_text()
    decision.get_by_role("link", name="Check this record").click()
    assert page.locator("h1").inner_text().endswith("asked for information about you")
    check_page_in_browser(page, "citizen-record", javascript)
    page.get_by_role("button", name="Check this record").click()
    assert page.locator("h1").inner_text().endswith("is in the public log")
    check_page_in_browser(page, "citizen-record-checked", javascript)

    page.get_by_role("link", name="Your choices").click()
    check_page_in_browser(page, "citizen-choices", javascript)
    page.get_by_role("button", name="Withdraw consent").first.click()
    assert page.locator("h1").inner_text().startswith("Withdraw your consent")
    check_page_in_browser(page, "citizen-choice-confirm", javascript)
    page.get_by_role("button", name="Withdraw consent").click()
    assert "Your choice is recorded" in page.locator("h1").inner_text()
    panel = page.locator(".govuk-panel__body").inner_text()
    assert "You withdrew your consent" in panel
    assert "<br>" not in panel  # the line break is a break, not text
    check_page_in_browser(page, "citizen-choice-recorded", javascript)

    with db.transaction(engine) as session:
        school_asks(session, person["nino"])  # the school's next request about them
    page.get_by_role("link", name="Your data").first.click()
    newest = page.locator(".govuk-summary-card").first
    records = page.locator(".govuk-summary-card").count()
    assert "Not shared" in newest.inner_text()
    assert "You had withdrawn your consent, so nothing was shared." in newest.inner_text()
    page.select_option("#outcome", "deny")
    page.get_by_role("button", name="Filter").click()
    assert "deny" in page.url
    assert page.locator(".govuk-summary-card").count() == 1
    check_page_in_browser(page, "citizen-your-data-filtered", javascript)

    page.get_by_role("link", name="How to check").click()
    check_page_in_browser(page, "citizen-how-to-check", javascript)
    page.get_by_role("link", name="get a new trail key").click()
    assert page.locator("h1").inner_text() == "Get a new trail key"
    check_page_in_browser(page, "citizen-new-trail-key", javascript)
    page.get_by_role("button", name="Get a new trail key").click()
    assert "You have a new trail key" in page.locator(".govuk-notification-banner").inner_text()
    check_page_in_browser(page, "citizen-new-trail-key-done", javascript)
    page.get_by_role("link", name="Your data").first.click()
    assert page.locator(".govuk-summary-card").count() == records  # nothing lost to a new key
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "You have signed out"
    check_page_in_browser(page, "citizen-signed-out", javascript)
    if javascript:
        assert errors == []
    context.close()
