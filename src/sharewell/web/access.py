"""How each route declares who may use it. Every route must name one (a structural test checks)."""

from __future__ import annotations


def public() -> None:
    """Open to everyone, signed in or not: the route shows no personal data."""
