"""Parsing register documents: every malformed file is refused with a message naming the problem."""

from __future__ import annotations

import pytest

from factories.register import agreement_yaml
from sharewell.register.errors import RegisterInputInvalid
from sharewell.register.schemas import AgreementDocument
from sharewell.register.services import parse_documents


def problems_of(text: str) -> str:
    with pytest.raises(RegisterInputInvalid) as caught:
        parse_documents(text, source="agreements.yaml")
    return caught.value.diagnostics()


def test_a_valid_agreement_parses() -> None:
    (document,) = parse_documents(agreement_yaml())
    assert isinstance(document, AgreementDocument)
    assert document.discloser == "northbridge"


def test_malformed_yaml_names_line_and_column() -> None:
    message = problems_of("sharewell: agreement/v1\nid: [unclosed\ntitle: x\n")
    assert "agreements.yaml is not valid YAML at line" in message
    assert "column" in message


def test_empty_file_is_refused() -> None:
    assert "contains no documents" in problems_of("# nothing here\n")


def test_document_without_kind_says_how_to_start_it() -> None:
    assert "has no `sharewell:` key" in problems_of("id: x\ntitle: y\n")


def test_unknown_document_kind() -> None:
    assert "must be `agreement/v1` or `organisation/v1`" in problems_of(
        "sharewell: agreement/v9\nid: x\n"
    )


def test_misspelt_key_is_named() -> None:
    message = problems_of(agreement_yaml(recipeints=["southmere"]))
    assert "recipeints: is not a field of this document" in message


def test_dates_reversed() -> None:
    message = problems_of(agreement_yaml(valid_from="2027-01-01", valid_until="2026-01-01"))
    assert "valid_until (2026-01-01) is before valid_from (2027-01-01)" in message


def test_not_a_date() -> None:
    assert "valid_from" in problems_of(agreement_yaml(valid_from="next Tuesday"))


def test_unknown_purpose_code_lists_the_field() -> None:
    message = problems_of(agreement_yaml(purposes=[{"code": "marketing"}]))
    assert "purposes.0.code" in message


def test_duplicate_ids_in_one_file() -> None:
    text = agreement_yaml() + "---\n" + agreement_yaml()
    assert "agreement/v1 'northbridge-test-agreement' appears more than once" in problems_of(text)


def test_discloser_cannot_be_a_recipient() -> None:
    message = problems_of(agreement_yaml(recipients=["northbridge"]))
    assert "the discloser northbridge cannot also be a recipient" in message


def test_field_listed_twice() -> None:
    message = problems_of(
        agreement_yaml(datasets=[{"dataset": "housing-benefit-claims", "fields": ["nino", "nino"]}])
    )
    assert "fields listed more than once: nino" in message


def test_bad_id_shape() -> None:
    assert "id" in problems_of(agreement_yaml(id="Not A Slug!"))


def test_every_problem_is_reported_at_once() -> None:
    text = agreement_yaml(valid_from="2027-01-01", valid_until="2026-01-01") + "---\nid: x\n"
    with pytest.raises(RegisterInputInvalid) as caught:
        parse_documents(text)
    assert len(caught.value.problems) == 2


def test_organisation_dataset_needs_a_record_key() -> None:
    text = (
        "sharewell: organisation/v1\nid: testville\nname: Testville Council\nkind: council\n"
        "datasets:\n- key: claims\n  title: Claims\n  fields:\n"
        "  - {name: nino, title: NINO, type: nino, sensitivity: identifier}\n"
    )
    assert "has no `record_id` field" in problems_of(text)


def test_a_list_of_documents_in_one_yaml_document() -> None:
    text = "- " + agreement_yaml().replace("\n", "\n  ").rstrip() + "\n"
    (document,) = parse_documents(text)
    assert document.id == "northbridge-test-agreement"
