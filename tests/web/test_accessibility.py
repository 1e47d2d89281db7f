"""Every public page in a real browser (Debian's Chromium via Playwright), with and without
JavaScript: axe-core finds no accessibility violations, and screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from factories.web import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "home": "/",
    "register": "/register",
    "register-all": "/register?show=all",
    "agreement": "/register/agreements/northbridge-hb-fsm-consent",
    "gateways": "/register/gateways",
    "gateway": "/register/gateways/wra2012-s131",
    "benefit-rules": "/register/benefit-rules",
    "not-found": "/register/agreements/nope",
}
WIDTHS = {"phone": 375, "desktop": 1280}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: `make test` installs it"
    assert AXE.exists(), "axe-core is missing: `make install` runs npm ci"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
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
        yield browser
        browser.close()


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
