"""Registers every domain's tables on the shared metadata (for migrations and drift checks)."""

from __future__ import annotations


def import_all_models() -> None:
    import sharewell.accounts.models
    import sharewell.broker.models
    import sharewell.consent.models
    import sharewell.ledger.models
    import sharewell.notifications.models
    import sharewell.register.models  # noqa: F401
