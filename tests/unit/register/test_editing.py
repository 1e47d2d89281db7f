"""A DPO changes their organisation's draft agreement field by field: every problem keyed by
the field to correct, nothing written unless all is well, and only a draft, only by the
discloser's DPO."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.errors import Conflict, InvalidInput
from sharewell.register import editing, services
from sharewell.register.errors import AgreementNotFound, LifecycleNotPermitted
from sharewell.register.vocabulary import AgreementStatus

DRAFT = "northbridge-southmere-shared-service"  # northbridge discloses to southmere; a draft


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    assert services.get_agreement(session, DRAFT).status == AgreementStatus.DRAFT
    return session


def test_the_form_starts_from_the_draft_as_it_stands(register: Session) -> None:
    form = editing.draft_form(register, DRAFT)
    assert form.title == "Shared revenues and benefits service with Southmere"
    assert form.recipients == ("southmere",)
    assert form.purposes == ("benefit-administration",)
    assert "housing-benefit-claims.first_name" in form.fields


def test_a_draft_is_changed_to_what_the_form_says(register: Session) -> None:
    form = dataclasses.replace(
        editing.draft_form(register, DRAFT),
        title="Shared benefits service",
        fields=("housing-benefit-claims.nino", "housing-benefit-claims.first_name"),
        valid_until="2029-03-31",
    )
    editing.edit_draft(register, DRAFT, form, actor=dpo(register, "northbridge"))
    stored = services.agreement_document(services.get_agreement(register, DRAFT))
    assert stored.title == "Shared benefits service"
    assert set(stored.datasets[0].fields) == {"first_name", "nino"}
    assert stored.valid_until.isoformat() == "2029-03-31"
    # The purpose keeps its description: the form changes only what it shows.
    assert stored.purposes[0].description == "Assessing and paying Housing Benefit claims."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"summary": ""}, "summary"),
        ({"recipients": ()}, "recipients"),
        ({"recipients": ("northbridge",)}, "recipients"),  # the discloser itself
        ({"recipients": ("no-such-body",)}, "recipients"),
        ({"purposes": ()}, "purposes"),
        ({"purposes": ("world-domination",)}, "purposes"),
        ({"fields": ()}, "fields"),
        ({"fields": ("housing-benefit-claims.shoe_size",)}, "fields"),
        ({"fields": ("first_name",)}, "fields"),
        ({"valid_from": "2027-02-30"}, "valid_from"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
    ],
)
def test_each_problem_is_said_against_its_field_and_nothing_changes(
    register: Session, change: dict[str, object], field: str
) -> None:
    before = services.agreement_document(services.get_agreement(register, DRAFT))
    form = dataclasses.replace(editing.draft_form(register, DRAFT), **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        editing.edit_draft(register, DRAFT, form, actor=dpo(register, "northbridge"))
    assert field in refused.value.fields, refused.value.fields
    register.expire_all()
    assert services.agreement_document(services.get_agreement(register, DRAFT)) == before


def test_only_the_disclosers_dpo_changes_a_draft_and_only_a_draft(register: Session) -> None:
    form = editing.draft_form(register, DRAFT)
    with pytest.raises(LifecycleNotPermitted):  # a recipient's DPO
        editing.edit_draft(register, DRAFT, form, actor=dpo(register, "southmere"))
    with pytest.raises(AgreementNotFound):  # not a party: not even told it exists
        editing.edit_draft(register, DRAFT, form, actor=dpo(register, "northbridge-schools"))
    services.change_status(
        register, DRAFT, AgreementStatus.ACTIVE, actor=dpo(register, "northbridge"), today=TODAY
    )
    with pytest.raises(Conflict):
        editing.edit_draft(register, DRAFT, form, actor=dpo(register, "northbridge"))
