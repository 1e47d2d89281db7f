"""Importing into the register: references are checked, and bad input writes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from factories.register import agreement_yaml, load_demo_register, row_counts
from sharewell.register import services
from sharewell.register.errors import RegisterInputInvalid
from sharewell.register.vocabulary import AgreementStatus


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    return session


def refused(session: Session, text: str) -> str:
    before = row_counts(session)
    with pytest.raises(RegisterInputInvalid) as caught:
        services.import_documents(session, text, source="test.yaml")
    assert row_counts(session) == before, "a refused import must write nothing"
    assert "nothing was imported" in caught.value.message
    return caught.value.diagnostics()


def test_demo_register_imports_every_document(register: Session) -> None:
    agreements = services.list_agreements(register)
    assert {a.id for a in agreements} >= {
        "dwp-northbridge-welfare-services",
        "northbridge-hb-fsm-consent",
    }
    assert all(a.status == AgreementStatus.DRAFT for a in agreements)


def test_importing_the_same_file_twice_changes_nothing(register: Session) -> None:
    before = row_counts(register)
    report = load_demo_register(register)
    assert report.created == []
    assert report.updated == []
    assert len(report.unchanged) == 11
    assert row_counts(register) == before


def test_a_valid_agreement_is_created_as_a_draft(register: Session) -> None:
    report = services.import_documents(register, agreement_yaml())
    assert report.created == ["agreement 'northbridge-test-agreement'"]
    agreement = services.get_agreement(register, "northbridge-test-agreement")
    assert agreement.status == AgreementStatus.DRAFT
    assert [f.field.name for f in agreement.fields] == ["record_id", "nino", "weekly_award"]
    assert agreement.consent_required is False


def test_unknown_gateway(register: Session) -> None:
    message = refused(register, agreement_yaml(gateways=["made-up-act-s1"]))
    assert "gateway 'made-up-act-s1' is not in the catalogue" in message


def test_an_offence_is_not_a_gateway(register: Session) -> None:
    message = refused(register, agreement_yaml(gateways=["ssaa1992-s122e", "ssaa1992-s123"]))
    assert "gateway 'ssaa1992-s123' is an offence, not a basis for sharing" in message


def test_unknown_field(register: Session) -> None:
    message = refused(
        register,
        agreement_yaml(
            datasets=[{"dataset": "housing-benefit-claims", "fields": ["nino", "shoe_size"]}]
        ),
    )
    assert "field 'shoe_size' is not in northbridge's dataset 'housing-benefit-claims'" in message


def test_dataset_of_another_body(register: Session) -> None:
    message = refused(
        register,
        agreement_yaml(datasets=[{"dataset": "pension-credit-extract", "fields": ["nino"]}]),
    )
    assert "dataset 'pension-credit-extract' is not held by northbridge" in message


def test_unknown_recipient(register: Session) -> None:
    message = refused(register, agreement_yaml(recipients=["atlantis"]))
    assert "recipient 'atlantis' is not an organisation in the register" in message


def test_purpose_the_law_cited_does_not_permit(register: Session) -> None:
    message = refused(register, agreement_yaml(purposes=[{"code": "debt-recovery"}]))
    assert "purpose 'debt-recovery' is not permitted by any gateway cited" in message


def test_consent_cannot_be_switched_off_where_the_law_needs_it(register: Session) -> None:
    message = refused(
        register,
        agreement_yaml(
            gateways=["consent-route"],
            purposes=[{"code": "consented-purpose"}],
            consent_required=False,
        ),
    )
    assert "consent_required is false but consent-route requires consent" in message


def test_consent_is_required_when_a_gateway_requires_it(register: Session) -> None:
    services.import_documents(
        register,
        agreement_yaml(
            gateways=["consent-route"],
            purposes=[{"code": "free-school-meals"}],
        ),
    )
    assert services.get_agreement(register, "northbridge-test-agreement").consent_required


def test_duplicate_id_with_different_content(register: Session) -> None:
    services.import_documents(register, agreement_yaml())
    message = refused(register, agreement_yaml(title="Another title"))
    assert "agreement 'northbridge-test-agreement' already exists (draft)" in message
    assert "--update" in message


def test_update_replaces_a_draft(register: Session) -> None:
    services.import_documents(register, agreement_yaml())
    report = services.import_documents(register, agreement_yaml(title="Renamed"), update=True)
    assert report.updated == ["agreement 'northbridge-test-agreement'"]
    assert services.get_agreement(register, "northbridge-test-agreement").title == "Renamed"


def test_update_never_rewrites_an_active_agreement(register: Session) -> None:
    from factories.register import TODAY, dpo

    services.import_documents(register, agreement_yaml())
    services.change_status(
        register,
        "northbridge-test-agreement",
        AgreementStatus.ACTIVE,
        actor=dpo(register, "northbridge"),
        today=TODAY,
    )
    message = refused(register, agreement_yaml(title="Sneaky"))
    assert "already exists (active)" in message
    with pytest.raises(RegisterInputInvalid, match="nothing was imported") as caught:
        services.import_documents(register, agreement_yaml(title="Sneaky"), update=True)
    assert "only a draft can be replaced" in caught.value.diagnostics()


def test_one_bad_document_stops_the_whole_file(register: Session) -> None:
    good = agreement_yaml(id="northbridge-good-one")
    bad = agreement_yaml(id="northbridge-bad-one", gateways=["nope"])
    refused(register, good + "---\n" + bad)


def test_organisation_and_its_agreement_in_one_file(session: Session) -> None:
    load_demo_register(session)
    text = (
        "sharewell: organisation/v1\nid: eastvale\nname: Eastvale Council\nkind: council\n"
        "datasets:\n- key: housing-benefit-claims\n  title: HB\n  fields:\n"
        "  - {name: record_id, title: Id, type: string, sensitivity: identifier, required: true}\n"
        "  - {name: nino, title: NINO, type: nino, sensitivity: identifier}\n"
        "staff:\n- {email: dpo@eastvale.example, name: Eve, role: dpo}\n---\n"
        + agreement_yaml(
            id="eastvale-shared",
            discloser="eastvale",
            datasets=[{"dataset": "housing-benefit-claims", "fields": ["nino"]}],
        )
    )
    report = services.import_documents(session, text)
    assert report.created == ["organisation 'eastvale'", "agreement 'eastvale-shared'"]


def test_staff_email_of_another_organisation_is_refused(register: Session) -> None:
    text = (
        "sharewell: organisation/v1\nid: eastvale\nname: Eastvale Council\nkind: council\n"
        "staff:\n- {email: dpo@northbridge.example, name: Impostor, role: dpo}\n"
    )
    assert "already belongs to northbridge" in refused(register, text)


def test_fields_cannot_be_dropped_from_a_dataset(register: Session) -> None:
    text = services.export_register(register, "southmere")
    # The whole field, up to the next one (its every key, so no key lands on its neighbour).
    shrunk = re.sub(r"  - name: capital\n(    .*\n)+", "", text, count=1)
    assert shrunk != text
    with pytest.raises(RegisterInputInvalid) as caught:
        services.import_documents(register, shrunk, update=True)
    assert "no longer lists capital" in caught.value.diagnostics()


def test_warns_when_no_gateway_names_the_kind_of_body(register: Session) -> None:
    report = services.import_documents(
        register,
        agreement_yaml(
            recipients=["northbridge-advice"],
            gateways=["ssaa1992-s122e"],
        ),
    )
    assert report.warnings == []
    report = services.import_documents(
        register,
        agreement_yaml(
            id="northbridge-fsm-new",
            recipients=["northbridge-schools"],
            gateways=["cwsa2026-s33-fsm-information-sharing"],
            purposes=[{"code": "free-school-meals"}],
        ),
    )
    assert any("may disclose" in w for w in report.warnings)


def test_only_the_real_problems_are_reported(register: Session) -> None:
    taken = (
        "sharewell: organisation/v1\nid: eastvale\nname: Eastvale Council\nkind: council\n"
        "staff:\n- {email: dpo@northbridge.example, name: Impostor, role: dpo}\n"
    )
    fine = (
        "sharewell: organisation/v1\nid: westvale\nname: Westvale Council\nkind: council\n"
        "datasets:\n- key: housing-benefit-claims\n  title: HB\n  fields:\n"
        "  - {name: record_id, title: Id, type: string, sensitivity: identifier, required: true}\n"
    )
    agreement = agreement_yaml(
        id="westvale-shared",
        discloser="westvale",
        datasets=[{"dataset": "housing-benefit-claims", "fields": ["record_id"]}],
    )
    with pytest.raises(RegisterInputInvalid) as caught:
        services.import_documents(register, "---\n".join([taken, fine, agreement]))
    assert caught.value.problems == [
        "organisation 'eastvale': staff email dpo@northbridge.example already belongs to "
        "northbridge"
    ]
