"""Ledger leaves for tests that need a log to read: decisions as the broker writes them."""

from __future__ import annotations

import datetime as dt

from sharewell.ledger.entries import Leaf, encode_leaf
from sharewell.ledger.records import DecisionPublic, DecisionSealed, RequesterKind, exact_time


def decision(
    key: bytes | None = None,
    *,
    organisation: str = "northbridge",
    purpose: str = "free-school-meals",
    outcome: str = "permit",
    released: tuple[str, ...] = ("housing-benefit-claims.first_name",),
    time: dt.datetime | None = None,
) -> bytes:
    """One decision's leaf; sealed for the holder of ``key``, or about nobody."""
    when = time or dt.datetime.now(dt.UTC)
    public = DecisionPublic(organisation=organisation, purpose=purpose, agreement=None, gateways=())
    if key is None:
        return encode_leaf(Leaf(public=public, time=when))
    sealed = DecisionSealed(
        time=exact_time(when),
        outcome=outcome,
        discloser="northbridge",
        released=released,
        refused=(),
        reasons=("gateway_applies",),
        requested_by=RequesterKind.CLIENT,
    )
    return encode_leaf(Leaf(public=public, time=when, sealed=sealed, subject_key=key))
