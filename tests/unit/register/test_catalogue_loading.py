"""The shipped catalogue loads into the database, and loading again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharewell.register.catalogue import benefit_rules_catalogue, gateway_catalogue, load_catalogue
from sharewell.register.models import BenefitAmount, Gateway


def test_every_catalogue_gateway_is_stored(session: Session) -> None:
    stored = {g.id: g for g in session.scalars(select(Gateway))}
    assert set(stored) == {g.id for g in gateway_catalogue()}
    offence = stored["ssaa1992-s123"]
    assert offence.kind == "offence"
    assert offence.purpose_codes == []
    assert stored["consent-route"].consent_required is True


def test_loading_again_changes_nothing(session: Session) -> None:
    assert load_catalogue(session) == (0, 0)


def test_a_changed_gateway_is_brought_back_in_step(session: Session) -> None:
    gateway = session.get(Gateway, "wra2012-s131")
    assert gateway is not None
    gateway.record = {**gateway.record, "title": "tampered"}
    gateway.title = "tampered"
    session.flush()
    assert load_catalogue(session) == (1, 0)
    assert gateway.title != "tampered"


def test_benefit_amounts_keep_the_date_they_apply_from(session: Session) -> None:
    amounts = session.scalar(select(func.count()).select_from(BenefitAmount))
    assert amounts == sum(len(rule.amounts) for rule in benefit_rules_catalogue())
    guarantee = session.scalars(
        select(BenefitAmount).where(BenefitAmount.name == "standard_minimum_guarantee_single")
    ).one()
    assert str(guarantee.applies_from_date) == "2026-04-06"
    assert float(guarantee.amount) == 238.0
