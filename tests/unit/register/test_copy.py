"""Copying a published agreement into another council as a template (a replicable scheme)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register, row_counts
from sharewell.register import services
from sharewell.register.errors import LifecycleNotPermitted, RegisterInputInvalid
from sharewell.register.vocabulary import AgreementStatus

SOURCE = "northbridge-hb-fsm-consent"


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    services.change_status(
        session, SOURCE, AgreementStatus.ACTIVE, actor=dpo(session, "northbridge"), today=TODAY
    )
    return session


def test_copy_keeps_the_law_purposes_and_fields_and_links_back(register: Session) -> None:
    copy = services.copy_agreement(
        register,
        SOURCE,
        into="southmere",
        recipients=["southmere-schools"],
        actor=dpo(register, "southmere"),
    )
    assert copy.id == "southmere-hb-fsm-consent"
    assert copy.status == AgreementStatus.DRAFT
    assert copy.derived_from_id == SOURCE
    assert copy.discloser_id == "southmere"
    original = services.agreement_document(services.get_agreement(register, SOURCE))
    copied = services.agreement_document(copy)
    assert copied.gateways == original.gateways
    assert copied.purposes == original.purposes
    assert copied.datasets == original.datasets
    assert copied.recipients == ["southmere-schools"]
    # The fields are Southmere's own, not Northbridge's.
    assert {link.field.dataset.organisation_id for link in copy.fields} == {"southmere"}
    assert "derived_from: northbridge-hb-fsm-consent" in services.export_agreements(
        register, [copy.id]
    )


def test_the_copying_councils_dpo_can_then_activate_it(register: Session) -> None:
    copy = services.copy_agreement(
        register, SOURCE, into="southmere", recipients=["southmere-schools"]
    )
    services.change_status(
        register, copy.id, AgreementStatus.ACTIVE, actor=dpo(register, "southmere"), today=TODAY
    )
    assert services.get_agreement(register, copy.id).status == AgreementStatus.ACTIVE


def test_only_the_copying_councils_dpo_may_copy(register: Session) -> None:
    before = row_counts(register)
    with pytest.raises(LifecycleNotPermitted):
        services.copy_agreement(
            register, SOURCE, into="southmere", actor=dpo(register, "northbridge")
        )
    assert row_counts(register) == before


def test_a_council_without_the_datasets_gets_a_clear_error(register: Session) -> None:
    before = row_counts(register)
    with pytest.raises(RegisterInputInvalid) as caught:
        services.copy_agreement(
            register, SOURCE, into="northbridge-advice", recipients=["northbridge-schools"]
        )
    assert "dataset 'housing-benefit-claims' is not held by northbridge-advice" in (
        caught.value.diagnostics()
    )
    assert row_counts(register) == before


def test_another_councils_draft_cannot_be_copied(register: Session) -> None:
    with pytest.raises(RegisterInputInvalid, match="not yet published"):
        services.copy_agreement(register, "northbridge-advice-referrals", into="southmere")


def test_copying_twice_needs_a_new_id(register: Session) -> None:
    services.copy_agreement(register, SOURCE, into="southmere", recipients=["southmere-schools"])
    with pytest.raises(RegisterInputInvalid, match="already exists"):
        services.copy_agreement(
            register, SOURCE, into="southmere", recipients=["southmere-schools"]
        )
    second = services.copy_agreement(
        register,
        SOURCE,
        into="southmere",
        new_id="southmere-fsm-2",
        recipients=["southmere-schools"],
    )
    assert second.derived_from_id == SOURCE


def test_copy_with_new_dates(register: Session) -> None:
    import datetime as dt

    copy = services.copy_agreement(
        register,
        SOURCE,
        into="southmere",
        recipients=["southmere-schools"],
        valid_from=dt.date(2027, 1, 1),
        valid_until=dt.date(2027, 12, 31),
    )
    assert (copy.valid_from, copy.valid_until) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
