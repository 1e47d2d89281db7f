"""Every public page in a real browser (Debian's Chromium via Playwright), with and without
JavaScript: axe-core finds no accessibility violations, and screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser

from factories.browser import WIDTHS, axe_violations, check_page_in_browser
from factories.web import ARTIFACTS
from sharewell import db
from sharewell.accounts import services as accounts

PAGES = {
    "home": "/",
    "register": "/register",
    "register-all": "/register?show=all",
    "agreement": "/register/agreements/northbridge-hb-fsm-consent",
    "gateways": "/register/gateways",
    "gateway": "/register/gateways/wra2012-s131",
    "benefit-rules": "/register/benefit-rules",
    "not-found": "/register/agreements/nope",
    "staff-sign-in": "/staff/sign-in",
    "citizen-sign-in-start": "/sign-in",
    "how-to-check": "/your-data/how-to-check",
}


@pytest.mark.parametrize("device", WIDTHS)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_accessibility_violations(
    browser: Browser, live_url: str, name: str, javascript: bool, device: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    width = WIDTHS[device]
    # bypass_csp lets the test inject axe; the page's own scripts are checked below.
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript, bypass_csp=True
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_url + PAGES[name])
    assert page.locator("h1").count() == 1
    # Nothing may scroll sideways, even on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
    page.screenshot(
        path=ARTIFACTS / f"{name}-{device}-{'js' if javascript else 'no-js'}.png", full_page=True
    )
    if javascript:
        assert errors == []
        assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
        violations = axe_violations(page)
        assert violations == [], f"{name} at {width}px: {violations}"
    context.close()


STAFF_PASSWORD = "a long password for the browser test"
# One member of staff per run: a security code works once.
STAFF_RUNS = {
    "js": "office@schools.northbridge.example",
    "no-js": "adviser@advice.northbridge.example",
}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_officer_signs_in_and_asks_in_a_real_browser(
    browser: Browser, live_url: str, demo_app: FastAPI, javascript: bool
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    email = STAFF_RUNS["js" if javascript else "no-js"]
    with db.transaction(demo_app.state.engine) as session:
        accounts.set_credentials(session, email, STAFF_PASSWORD)
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    page = context.new_page()
    page.goto(live_url + "/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    check_page_in_browser(page, "staff-code", javascript)
    with db.transaction(demo_app.state.engine) as session:
        code = accounts.current_code(session, email, now=dt.datetime.now(dt.UTC))
    page.get_by_label("Enter your security code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Staff pages"
    check_page_in_browser(page, "staff-home", javascript)

    page.goto(live_url + "/staff/requests/new")
    check_page_in_browser(page, "staff-request", javascript)
    page.get_by_role("button", name="Ask").click()  # nothing filled in
    assert page.title().startswith("Error: ")
    check_page_in_browser(page, "staff-request-errors", javascript)

    # Each officer is offered only what their organisation's agreements cover.
    page.get_by_label("What is the information for?").select_option(index=1)
    page.get_by_label("National Insurance number of the person").fill("AB 12 34 56 C")
    page.locator('input[name="fields"]').first.check()
    page.get_by_role("button", name="Ask").click()
    assert page.locator("h1").inner_text().startswith("Decision:")
    assert "Entry" in page.content()
    check_page_in_browser(page, "staff-decision", javascript)

    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "You have signed out"
    context.close()
