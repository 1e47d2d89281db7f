"""Fixtures for page tests: the demo register served in-process and over real HTTP, and a
real browser."""

from factories.browser import browser
from factories.citizens import oidc_provider
from factories.web import ARTIFACTS, client, demo_app, live_url

__all__ = ["ARTIFACTS", "browser", "client", "demo_app", "live_url", "oidc_provider"]
