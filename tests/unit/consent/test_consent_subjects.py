"""Subjects and their identifiers: normalised, validated, never repeated back in errors."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from factories.consent import NINO, OTHER_NINO, consent_counts, new_subject
from sharewell.consent import services
from sharewell.consent.errors import IdentifierInvalid, IdentifierTaken, SubjectUnknown
from sharewell.consent.vocabulary import IdentifierScheme
from sharewell.errors import Conflict, InvalidInput, NotFound
from sharewell.ledger.entries import TRAIL_KEY_BYTES


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("AB123456C", "AB123456C"),
        ("ab123456c", "AB123456C"),
        ("AB 12 34 56 C", "AB123456C"),
        (" ab 123456 c ", "AB123456C"),
        ("AB\t123456\tC", "AB123456C"),
        ("JZ000000D", "JZ000000D"),
    ],
)
def test_ninos_are_normalised(given: str, stored: str) -> None:
    assert services.normalise_identifier("nino", given) == (IdentifierScheme.NINO, stored)


@pytest.mark.parametrize(
    "given",
    [
        "",
        "AB12345C",  # five digits
        "AB1234567C",  # seven digits
        "AB123456E",  # the suffix is A, B, C or D
        "AB123456",  # no suffix
        "DA123456A",  # D is never a first letter
        "AO123456A",  # O is never a second letter
        "BG123456A",  # prefixes that are never allocated
        "GB123456A",
        "NK123456A",
        "TN123456A",
        "ZZ123456A",
        "A1234567C",
        "AB-12-34-56-C",
    ],
)
def test_invalid_ninos_are_refused_without_repeating_them(given: str) -> None:
    with pytest.raises(IdentifierInvalid, match="not a valid National Insurance number") as error:
        services.normalise_identifier(IdentifierScheme.NINO, given)
    assert isinstance(error.value, InvalidInput)
    assert "like AB123456C" in str(error.value.hint)  # the hint shows the shape…
    if given.strip():
        assert given not in error.value.message  # …the message never the value given


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (
            "northbridge/housing-benefit-claims/HB000123",
            "northbridge/housing-benefit-claims/HB000123",
        ),
        (" Northbridge/Housing-Benefit-Claims/hb-7 ", "northbridge/housing-benefit-claims/hb-7"),
        ("dwp/pension-credit-extract/a/b/c", "dwp/pension-credit-extract/a/b/c"),  # ids may hold /
    ],
)
def test_dataset_records_are_normalised(given: str, stored: str) -> None:
    assert services.normalise_identifier("dataset_record", given) == (
        IdentifierScheme.DATASET_RECORD,
        stored,
    )


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("northbridge", "three parts"),
        ("northbridge/housing-benefit-claims", "three parts"),
        (
            "north bridge/housing-benefit-claims/1",
            "organisation 'north bridge' is not a register id",
        ),
        ("northbridge/housing_benefit/1", "dataset 'housing_benefit' is not a register id"),
        ("northbridge/housing-benefit-claims/", "record id is empty"),
        ("northbridge/housing-benefit-claims/   ", "record id is empty"),
        ("northbridge/housing-benefit-claims/" + "x" * 101, "longer than 100 characters"),
        ("northbridge/housing-benefit-claims/a\x00b", "control characters"),
        ("-northbridge/housing-benefit-claims/1", "organisation '-northbridge'"),
    ],
)
def test_invalid_dataset_records_are_refused(given: str, problem: str) -> None:
    with pytest.raises(IdentifierInvalid) as error:
        services.normalise_identifier(IdentifierScheme.DATASET_RECORD, given)
    assert problem in error.value.diagnostics()


def test_an_unknown_scheme_is_refused() -> None:
    with pytest.raises(IdentifierInvalid, match="'passport' is not a kind of identifier") as error:
        services.normalise_identifier("passport", "123")
    assert "nino, dataset_record" in error.value.diagnostics()


def test_create_then_resolve_finds_the_same_subject(session: Session) -> None:
    created = new_subject(session)
    assert len(created.id) == 36
    assert [(i.scheme, i.value) for i in created.identifiers] == [("nino", NINO)]
    again = services.resolve_subject(session, "nino", "ab 12 34 56 c")
    assert again.id == created.id
    # Creating again is harmless: the identifier already names a subject.
    assert services.resolve_subject(session, "nino", NINO, create=True).id == created.id
    assert consent_counts(session)["subjects"] == 1


def test_an_unknown_identifier_is_not_created_unless_asked(session: Session) -> None:
    before = consent_counts(session)
    with pytest.raises(SubjectUnknown, match="No subject is known by that National") as error:
        services.resolve_subject(session, IdentifierScheme.NINO, NINO)
    assert isinstance(error.value, NotFound)
    assert NINO not in error.value.diagnostics()
    with pytest.raises(SubjectUnknown, match="that dataset record"):
        services.resolve_subject(session, "dataset_record", "northbridge/council-tax/CT1")
    assert consent_counts(session) == before


def test_an_invalid_identifier_creates_nothing(session: Session) -> None:
    before = consent_counts(session)
    with pytest.raises(IdentifierInvalid):
        services.resolve_subject(session, "nino", "AB123456E", create=True)
    with pytest.raises(IdentifierInvalid):
        services.resolve_subject(session, "dataset_record", "no-slashes", create=True)
    assert consent_counts(session) == before


def test_each_subject_gets_its_own_trail_key(session: Session) -> None:
    first, second = new_subject(session), new_subject(session, OTHER_NINO)
    assert first.id != second.id
    key = services.trail_key(session, first.id)
    assert len(key) == TRAIL_KEY_BYTES
    assert key != services.trail_key(session, second.id)
    assert services.trail_key(session, first.id) == key  # stable


def test_the_trail_key_of_an_unknown_subject(session: Session) -> None:
    with pytest.raises(SubjectUnknown, match="no subject with id 'nobody'"):
        services.trail_key(session, "nobody")


def test_a_subject_can_be_known_by_a_dataset_record_too(session: Session) -> None:
    subject = new_subject(session)
    record = "northbridge/housing-benefit-claims/HB000123"
    services.add_identifier(session, subject.id, "dataset_record", record)
    assert services.resolve_subject(session, "dataset_record", record).id == subject.id
    # Adding it again is a no-op; giving it to someone else is refused.
    services.add_identifier(session, subject.id, "dataset_record", record)
    other = new_subject(session, OTHER_NINO)
    before = consent_counts(session)
    with pytest.raises(IdentifierTaken, match="already names another subject") as error:
        services.add_identifier(session, other.id, "dataset_record", f" {record} ")
    assert isinstance(error.value, Conflict)
    assert consent_counts(session) == before
    assert before["subject_identifiers"] == 3
