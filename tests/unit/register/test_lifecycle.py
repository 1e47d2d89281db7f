"""Agreement lifecycle: draft → active → suspended → expired, changed only by a party's DPO."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.staff import StaffMember
from sharewell.register import services
from sharewell.register.errors import LifecycleNotPermitted, LifecycleTransitionInvalid
from sharewell.register.vocabulary import AgreementStatus

AGREEMENT = "northbridge-southmere-shared-service"  # northbridge discloses to southmere


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    return session


def staff(session: Session, email: str) -> StaffMember:
    return staff_accounts.by_email(session, email)


def activate(session: Session, actor: StaffMember, agreement: str = AGREEMENT) -> None:
    services.change_status(session, agreement, AgreementStatus.ACTIVE, actor=actor, today=TODAY)


def test_the_disclosers_dpo_activates(register: Session) -> None:
    activate(register, dpo(register, "northbridge"))
    agreement = services.get_agreement(register, AGREEMENT)
    assert agreement.status == AgreementStatus.ACTIVE
    (event,) = agreement.events
    assert (event.from_status, event.to_status) == ("draft", "active")
    assert event.actor_id == dpo(register, "northbridge").id


def test_a_recipients_dpo_may_also_change_it(register: Session) -> None:
    activate(register, dpo(register, "southmere"))
    assert services.get_agreement(register, AGREEMENT).status == AgreementStatus.ACTIVE


@pytest.mark.parametrize(
    "email",
    [
        "officer@northbridge.example",  # right organisation, wrong role
        "admin@northbridge.example",  # even an admin is not the DPO
        "auditor@northbridge.example",
        "dpo@dwp.example",  # a DPO, but of a body that is not a party
        "dpo@schools.southmere.example",
    ],
)
def test_anyone_else_is_refused_and_nothing_changes(register: Session, email: str) -> None:
    with pytest.raises(LifecycleNotPermitted, match="only a data protection officer"):
        activate(register, staff(register, email))
    agreement = services.get_agreement(register, AGREEMENT)
    assert agreement.status == AgreementStatus.DRAFT
    assert agreement.events == []


def test_suspend_then_reactivate_then_expire(register: Session) -> None:
    actor = dpo(register, "northbridge")
    activate(register, actor)
    for status in (AgreementStatus.SUSPENDED, AgreementStatus.ACTIVE, AgreementStatus.EXPIRED):
        services.change_status(register, AGREEMENT, status, actor=actor, today=TODAY)
    agreement = services.get_agreement(register, AGREEMENT)
    assert [e.to_status for e in agreement.events] == ["active", "suspended", "active", "expired"]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], AgreementStatus.SUSPENDED),  # a draft cannot be suspended
        ([], AgreementStatus.EXPIRED),
        ([AgreementStatus.ACTIVE], AgreementStatus.ACTIVE),
        ([AgreementStatus.ACTIVE, AgreementStatus.EXPIRED], AgreementStatus.ACTIVE),  # final
        ([AgreementStatus.ACTIVE, AgreementStatus.EXPIRED], AgreementStatus.DRAFT),
    ],
)
def test_transitions_outside_the_lifecycle(
    register: Session, path: list[AgreementStatus], refused: AgreementStatus
) -> None:
    actor = dpo(register, "northbridge")
    for status in path:
        services.change_status(register, AGREEMENT, status, actor=actor, today=TODAY)
    with pytest.raises(LifecycleTransitionInvalid):
        services.change_status(register, AGREEMENT, refused, actor=actor, today=TODAY)


def test_an_agreement_past_its_end_cannot_be_activated(register: Session) -> None:
    with pytest.raises(LifecycleTransitionInvalid, match="ended on 2029-03-31"):
        services.change_status(
            register,
            AGREEMENT,
            AgreementStatus.ACTIVE,
            actor=dpo(register, "northbridge"),
            today=dt.date(2029, 4, 1),
        )


def test_law_not_in_force_cannot_be_activated(register: Session) -> None:
    with pytest.raises(LifecycleTransitionInvalid, match="not confirmed in force"):
        activate(register, dpo(register, "northbridge"), "northbridge-fsm-auto-enrolment")


def test_lapsed_agreements_expire_and_leave_the_public_register(register: Session) -> None:
    activate(register, dpo(register, "northbridge"))
    after_end = dt.date(2029, 4, 1)
    assert AGREEMENT not in [a.id for a in services.published_agreements(register, today=after_end)]
    assert services.expire_lapsed(register, today=after_end) == [AGREEMENT]
    agreement = services.get_agreement(register, AGREEMENT)
    assert agreement.status == AgreementStatus.EXPIRED
    assert agreement.events[-1].actor_id is None
    assert services.expire_lapsed(register, today=after_end) == []


def test_drafts_are_not_published(register: Session) -> None:
    assert services.published_agreements(register, today=TODAY) == []
    activate(register, dpo(register, "northbridge"))
    (published,) = services.published_agreements(register, today=TODAY)
    assert published.id == AGREEMENT
    assert published.discloser.name == "Northbridge Borough Council"
    assert [g.id for g in published.gateways] == ["ssaa1992-s122e"]


def test_every_status_change_is_a_ledger_entry(register: Session) -> None:
    from sharewell.ledger import services as ledger
    from sharewell.ledger.entries import decode_entry

    before = ledger.sequenced_size(register)
    activate(register, dpo(register, "northbridge"))
    assert ledger.sequenced_size(register) == before + 1
    body = decode_entry(ledger.get_entry(register, before))
    assert body["kind"] == "agreement"
    assert body["organisation"] == "northbridge"
    assert body["agreement"] == AGREEMENT
    assert (body["from"], body["to"], body["by_role"]) == ("draft", "active", "dpo")
    assert "housing-benefit-claims.nino" in body["fields"]
    assert "dpo@" not in str(body)  # staff are named by role, never by email
    assert "reason" not in body  # typed by a person: kept in the agreement's own history


def test_a_refused_change_writes_no_ledger_entry(register: Session) -> None:
    from sharewell.ledger import services as ledger

    before = ledger.sequenced_size(register)
    with pytest.raises(LifecycleNotPermitted):
        activate(register, staff(register, "officer@northbridge.example"))
    assert ledger.sequenced_size(register) == before
