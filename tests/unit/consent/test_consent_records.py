"""Recording consent: validated first, written once with exactly one ledger entry, no PII public."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factories.consent import (
    FSM_AGREEMENT,
    FSM_PURPOSE,
    FSM_SCOPE,
    NINO,
    OTHER_NINO,
    WHEN,
    WORDING,
    consent_counts,
    new_subject,
    officer,
    record,
)
from factories.register import load_demo_register
from sharewell.consent import services
from sharewell.consent.errors import ConsentInputInvalid, SubjectUnknown
from sharewell.consent.models import ConsentRecord, Subject
from sharewell.consent.schemas import ConsentScope
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import decode_entry, open_entry, scan_trail


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    return session


@pytest.fixture
def subject(register: Session) -> Subject:
    return new_subject(register)


def test_a_grant_is_stored_as_given(register: Session, subject: Subject) -> None:
    expires = WHEN + dt.timedelta(days=365)
    stored = record(register, subject, expires_at=expires)
    register.expire_all()
    reread = register.get(ConsentRecord, stored.id)
    assert reread is not None
    assert reread.subject_id == subject.id
    assert (reread.agreement_id, reread.purpose, reread.recipient_id) == (FSM_AGREEMENT, None, None)
    assert reread.state == "granted"
    assert reread.captured_via == "portal"
    assert reread.captured_by_id is None
    assert reread.wording == WORDING
    assert reread.wording_version is not None
    assert reread.wording_version.startswith("sha256:")
    # Times come back timezone-aware and equal, on SQLite as on PostgreSQL.
    assert reread.recorded_at == WHEN
    assert reread.recorded_at.tzinfo is not None
    assert reread.expires_at == expires


def test_times_in_other_zones_are_stored_in_utc(register: Session, subject: Subject) -> None:
    london_summer = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 6, 5, 0, 30, tzinfo=london_summer)
    stored = record(register, subject, at=at)
    register.expire_all()
    assert register.get(ConsentRecord, stored.id).recorded_at == at  # type: ignore[union-attr]
    assert stored.recorded_at.utcoffset() == dt.timedelta(0)


def test_without_a_time_the_database_clock_records_it(register: Session, subject: Subject) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    stored = record(register, subject, at=None)
    assert before <= stored.recorded_at <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)


def test_a_staff_member_records_a_paper_form(register: Session, subject: Subject) -> None:
    staff = officer(register)
    stored = record(register, subject, captured_via=CaptureMethod.PAPER, captured_by=staff)
    assert stored.captured_by_id == staff.id
    entry = ledger.get_entry(register, stored.ledger_index)
    opened = open_entry(entry, [services.trail_key(register, subject.id)])
    assert opened is not None
    assert opened.facts["organisation"] == "northbridge"
    assert opened.facts["by_role"] == "officer"
    assert staff.email not in str(opened.facts)
    assert staff.name not in str(opened.facts)


def test_withdrawals_and_objections_need_no_wording(register: Session, subject: Subject) -> None:
    record(register, subject)
    withdrawn = record(register, subject, ConsentStatus.WITHDRAWN)
    objected = record(register, subject, ConsentStatus.OBJECTED, scope=FSM_PURPOSE)
    assert (withdrawn.wording, withdrawn.wording_version) == (None, None)
    assert objected.purpose == "free-school-meals"


def test_records_are_appended_never_changed(register: Session, subject: Subject) -> None:
    first = record(register, subject)
    second = record(register, subject, ConsentStatus.WITHDRAWN)
    third = record(register, subject)
    history = services.consent_history(register, subject.id)
    assert [r.id for r in history] == [first.id, second.id, third.id]
    assert [r.state for r in history] == ["granted", "withdrawn", "granted"]
    assert first.state == "granted"  # the earlier record is untouched


# --------------------------------------------------------------------------- the ledger


def test_each_record_writes_exactly_one_ledger_entry(register: Session, subject: Subject) -> None:
    before = ledger.sequenced_size(register)
    stored = record(register, subject, expires_at=WHEN + dt.timedelta(days=30))
    assert ledger.sequenced_size(register) == before + 1
    assert stored.ledger_index == before
    entry = ledger.get_entry(register, stored.ledger_index)
    # The public sees that a choice was recorded in that hour, and nothing else.
    body = decode_entry(entry)
    assert set(body) == {"format", "kind", "hour", "sealed", "subject"}
    assert (body["kind"], body["hour"]) == ("consent", "2026-11-25T09:00Z")
    # The person reads the rest.
    opened = open_entry(entry, [services.trail_key(register, subject.id)])
    assert opened is not None
    assert opened.time == WHEN
    assert {k: v for k, v in opened.facts.items() if k not in ("kind", "hour")} == {
        "time": "2026-11-25T09:00:00.000Z",
        "organisation": "sharewell",  # the person's own action, through the portal
        "purpose": None,
        "scope": "agreement",
        "agreement": FSM_AGREEMENT,
        "purposes": ["free-school-meals"],
        "recipient": None,
        "state": "granted",
        "captured_via": "portal",
        "by_role": "subject",
        "wording_version": stored.wording_version,
        "expires": "2026-12-25T09:00:00.000Z",
    }


def test_a_purpose_scoped_entry_names_the_purpose(register: Session, subject: Subject) -> None:
    stored = record(
        register,
        subject,
        ConsentStatus.OBJECTED,
        scope=ConsentScope.for_purpose("benefit-take-up", recipient="dwp"),
    )
    opened = open_entry(
        ledger.get_entry(register, stored.ledger_index), [services.trail_key(register, subject.id)]
    )
    assert opened is not None
    assert opened.facts["purpose"] == "benefit-take-up"
    assert opened.facts["scope"] == "purpose"
    assert opened.facts["recipient"] == "dwp"
    assert opened.facts["state"] == "objected"


def test_entries_hold_no_personal_data(register: Session) -> None:
    subject = new_subject(register)
    services.add_identifier(
        register, subject.id, "dataset_record", "northbridge/housing-benefit-claims/HB000123"
    )
    staff = officer(register)
    stored = [
        record(register, subject, captured_via=CaptureMethod.PHONE, captured_by=staff),
        record(register, subject, ConsentStatus.WITHDRAWN),
        record(register, subject, ConsentStatus.OBJECTED, scope=FSM_PURPOSE),
    ]
    for item in stored:
        data = ledger.get_entry(register, item.ledger_index)
        for secret in (
            NINO,
            "AB 12 34 56 C",
            "HB000123",
            subject.id,
            item.id,
            staff.email,
            staff.name,
        ):
            assert secret.encode() not in data
        assert WORDING.encode() not in data  # the wording's digest, never its text
        assert services.trail_key(register, subject.id).hex().encode() not in data


def test_the_commitment_opens_only_under_the_subjects_key(register: Session) -> None:
    subject, other = new_subject(register), new_subject(register, OTHER_NINO)
    mine = record(register, subject)
    theirs = record(register, other)
    key, other_key = (services.trail_key(register, s.id) for s in (subject, other))
    entry = ledger.get_entry(register, mine.ledger_index)
    assert open_entry(entry, [key]) is not None
    assert open_entry(entry, [other_key]) is None
    # Scanning the whole log with a key finds exactly that person's entries.
    found = [index for index, _ in scan_trail(ledger.iter_entries(register), [key])]
    assert found == [mine.ledger_index]
    assert theirs.ledger_index not in found


def test_record_and_entry_roll_back_together(register: Session, subject: Subject) -> None:
    before = consent_counts(register)
    with register.begin_nested() as outer:
        record(register, subject)
        outer.rollback()
    assert consent_counts(register) == before


# --------------------------------------------------------------------------- bad input


def later(days: int) -> dt.datetime:
    return WHEN + dt.timedelta(days=days)


BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({"scope": ConsentScope()}, "scope: name either an agreement or a purpose"),
    (
        {"scope": ConsentScope(agreement=FSM_AGREEMENT, purpose="free-school-meals")},
        "scope: name either an agreement or a purpose (exactly one)",
    ),
    (
        {"scope": ConsentScope.for_agreement("no-such-agreement")},
        "no agreement 'no-such-agreement'",
    ),
    ({"scope": ConsentScope.for_purpose("marketing")}, "'marketing' is not a purpose code"),
    (
        {"scope": ConsentScope.for_purpose("free-school-meals", recipient="nowhere")},
        "no organisation 'nowhere'",
    ),
    (
        {"scope": ConsentScope.for_agreement(FSM_AGREEMENT, recipient="dwp")},
        "dwp does not receive data under 'northbridge-hb-fsm-consent'",
    ),
    ({"state": "maybe"}, "state: 'maybe' is not one of granted, withdrawn, objected"),
    ({"captured_via": "carrier-pigeon"}, "captured_via: 'carrier-pigeon' is not one of"),
    ({"wording": None}, "consent can only be granted with the wording"),
    ({"wording": "   "}, "consent can only be granted with the wording"),
    ({"wording": "x" * 20_001}, "wording: is longer than 20000 characters"),
    ({"captured_via": "paper"}, "a choice taken paper must name the member of staff"),
    ({"captured_via": "in_person"}, "a choice taken in person must name the member of staff"),
    ({"expires_at": WHEN}, "expires_at: 2026-11-25T09:00:00+00:00 is not after"),
    ({"expires_at": later(-1)}, "is not after the time of recording"),
    ({"expires_at": dt.datetime(2027, 1, 1)}, "expires_at: must include a timezone"),
    ({"now": dt.datetime(2026, 11, 25)}, "now: must include a timezone"),
    (
        {"state": "withdrawn", "wording": None, "expires_at": later(30)},
        "only a grant can expire; a withdrawn choice stands",
    ),
]


@pytest.mark.parametrize(("change", "problem"), BAD_INPUTS)
def test_bad_input_writes_nothing(
    register: Session, subject: Subject, change: dict[str, Any], problem: str
) -> None:
    arguments: dict[str, Any] = {
        "subject_id": subject.id,
        "scope": FSM_SCOPE,
        "state": ConsentStatus.GRANTED,
        "captured_via": CaptureMethod.PORTAL,
        "wording": WORDING,
        "now": WHEN,
    }
    arguments.update(change)
    before = consent_counts(register)
    with pytest.raises(ConsentInputInvalid) as error:
        services.record_consent(register, **arguments)
    assert problem in error.value.diagnostics()
    assert error.value.message == "The consent was not recorded."
    assert consent_counts(register) == before


def test_every_problem_is_reported_at_once(register: Session, subject: Subject) -> None:
    with pytest.raises(ConsentInputInvalid) as error:
        services.record_consent(
            register,
            subject_id=subject.id,
            scope=ConsentScope.for_purpose("marketing"),
            state="granted",
            captured_via="phone",
        )
    assert len(error.value.problems) == 3  # purpose, wording, the staff member


def test_a_portal_action_cannot_name_staff(register: Session, subject: Subject) -> None:
    before = consent_counts(register)
    with pytest.raises(ConsentInputInvalid, match="not recorded") as error:
        record(register, subject, captured_by=officer(register))
    assert "'portal' is the person's own action" in error.value.diagnostics()
    assert consent_counts(register) == before


def test_an_unknown_subject_writes_nothing(register: Session) -> None:
    before = consent_counts(register)
    with pytest.raises(SubjectUnknown):
        services.record_consent(
            register,
            subject_id="00000000-0000-4000-8000-000000000000",
            scope=FSM_SCOPE,
            state="granted",
            captured_via="portal",
            wording=WORDING,
        )
    assert consent_counts(register) == before


def test_the_database_refuses_what_the_service_would(register: Session, subject: Subject) -> None:
    """The table's own constraints back the validation up (a grant without wording)."""
    stored = record(register, subject)
    savepoint = register.begin_nested()
    with pytest.raises(IntegrityError):
        register.execute(
            update(ConsentRecord).where(ConsentRecord.id == stored.id).values(wording=None)
        )
    savepoint.rollback()
