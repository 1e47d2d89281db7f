"""Fixtures for page tests: the demo register served in-process and over real HTTP."""

from factories.web import ARTIFACTS, client, demo_app, live_url

__all__ = ["ARTIFACTS", "client", "demo_app", "live_url"]
