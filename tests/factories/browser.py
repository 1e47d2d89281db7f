"""A real browser for page tests: Debian's Chromium driven by Playwright, with axe-core injected
to find accessibility violations, and screenshots at phone and desktop widths."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine

from factories.web import ARTIFACTS
from sharewell import db
from sharewell.accounts import services as accounts

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": 375, "desktop": 1280}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: `make test` installs it"
    assert AXE.exists(), "axe-core is missing: `make install` runs npm ci"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


def axe_violations(page: Page) -> list[dict[str, object]]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa', 'wcag22aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def _screenshot(page: Page, path: Path) -> None:
    """A full-page screenshot. Chromium sometimes answers "Unable to capture screenshot" to a
    capture made while it is still laying the page out at its new size (seen once in 300
    browser-test runs, on a loaded machine): wait for the next frames and take it again."""
    for attempt in range(3):
        try:
            page.screenshot(path=path, full_page=True)
            return
        except PlaywrightError as failed:
            if "Unable to capture screenshot" not in str(failed) or attempt == 2:
                raise
            page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def check_page_in_browser(page: Page, name: str, javascript: bool) -> None:
    """One <h1>, no sideways scrolling at 375 px and 1280 px, screenshots, and axe (with JS)."""
    ARTIFACTS.mkdir(exist_ok=True)
    assert page.locator("h1").count() == 1
    for device, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px wider than a {width}px screen"
        _screenshot(page, ARTIFACTS / f"{name}-{device}-{'js' if javascript else 'no-js'}.png")
        if javascript:
            violations = axe_violations(page)
            assert violations == [], f"{name} at {width}px: {violations}"


def staff_signs_in(page: Page, base_url: str, engine: Engine, email: str, password: str) -> None:
    """Sign in through the real pages, reading the member of staff's current TOTP code."""
    page.goto(base_url + "/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Continue").click()
    with db.transaction(engine) as session:
        code = accounts.current_code(session, email, now=dt.datetime.now(dt.UTC))
    page.get_by_label("Enter your security code").fill(code)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Staff pages"
