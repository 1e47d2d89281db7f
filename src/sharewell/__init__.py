"""Sharewell: lawful, consented sharing of benefit data, with a ledger every citizen can check."""

__version__ = "0.1.0"
