"""Structural tests inspect the whole app, so they share the web fixtures."""

from factories.web import client, demo_app

__all__ = ["client", "demo_app"]
