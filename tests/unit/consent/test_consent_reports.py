"""The DPO's consent counts: each person's latest choice per agreement, counted, never named."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from factories.consent import FSM_AGREEMENT, NINO, OTHER_NINO, WHEN, new_subject, record
from factories.register import load_demo_register
from sharewell.consent import reports
from sharewell.consent.vocabulary import ConsentStatus

LATER = WHEN + dt.timedelta(hours=1)
OTHER_AGREEMENT = "northbridge-fsm-auto-enrolment"


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    return session


def test_only_each_persons_latest_choice_counts(register: Session) -> None:
    changed_mind = new_subject(register, NINO)
    record(register, changed_mind, at=WHEN)
    record(register, changed_mind, ConsentStatus.WITHDRAWN, at=LATER)
    still_granted = new_subject(register, OTHER_NINO)
    record(register, still_granted, at=WHEN)

    counts = reports.standing_by_agreement(register, [FSM_AGREEMENT])

    assert counts == {FSM_AGREEMENT: {"granted": 1, "withdrawn": 1}}


def test_agreements_with_no_choices_are_listed_empty_and_others_are_left_out(
    register: Session,
) -> None:
    record(register, new_subject(register, NINO))

    counts = reports.standing_by_agreement(register, [OTHER_AGREEMENT])

    assert counts == {OTHER_AGREEMENT: {}}


def test_no_agreements_asked_about_means_no_query_and_no_counts(register: Session) -> None:
    assert reports.standing_by_agreement(register, []) == {}


def test_the_counts_hold_states_and_numbers_only(register: Session) -> None:
    subject = new_subject(register, NINO)
    record(register, subject, ConsentStatus.OBJECTED)

    counts = reports.standing_by_agreement(register, [FSM_AGREEMENT])

    assert counts == {FSM_AGREEMENT: {"objected": 1}}
    for by_state in counts.values():
        assert set(by_state) <= {status.value for status in ConsentStatus}
        assert all(isinstance(number, int) for number in by_state.values())
