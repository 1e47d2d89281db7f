"""Refusals by reason for a DPO: counted for the organisation that asked and for the
discloser, never for anyone else; permits and decisions before the period left out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from factories.broker import HB
from factories.register import TODAY, dpo, load_demo_register
from sharewell.broker import reports
from sharewell.broker import services as broker
from sharewell.broker.policy import ReasonCode
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.register.dataset_import import import_dataset_csv

SCHOOLS = broker.Requester(organisation="northbridge-schools", actor="staff:officer")
FSM = "northbridge-hb-fsm-consent"
ADA = "AB123456C"
NOBODY = "JH999999A"
AN_HOUR_AGO = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


@pytest.fixture
def borough(session: Session, tmp_path: Path) -> Session:
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    (tmp_path / "hb.csv").write_text(HB, encoding="utf-8")
    import_dataset_csv(session, "northbridge", "housing-benefit-claims", tmp_path / "hb.csv")
    return session


def ask(session: Session, *ninos: str, fields: tuple[str, ...] = ("first_name",)) -> list[str]:
    request = DecisionRequest.model_validate(
        {
            "purpose": "free-school-meals",
            "agreement": FSM,
            "subjects": [{"scheme": "nino", "value": nino} for nino in ninos],
            "fields": [f"housing-benefit-claims.{field}" for field in fields],
        }
    )
    return [d.outcome for d in broker.decide(session, SCHOOLS, request, today=TODAY).decisions]


def grant(session: Session, nino: str) -> None:
    subject = consent.resolve_subject(session, "nino", nino, create=True)
    consent.record_consent(
        session,
        subject_id=subject.id,
        scope=ConsentScope.for_agreement(FSM),
        state="granted",
        captured_via="paper",
        captured_by=dpo(session, "northbridge"),
        wording="I agree that the council may tell my child's school.",
    )


def codes(report: reports.RefusalReport) -> dict[str, int]:
    return {reason.code: reason.decisions for reason in report.reasons}


def test_the_requester_and_the_discloser_see_the_same_refusals(borough: Session) -> None:
    assert ask(borough, ADA, NOBODY) == ["deny", "deny"]

    asked = reports.refusals(borough, "northbridge-schools", [], since=AN_HOUR_AGO)
    disclosed = reports.refusals(borough, "northbridge", [FSM], since=AN_HOUR_AGO)

    assert asked == disclosed
    assert asked.decisions == 2
    # Each decision counts once under each of its reasons (the unknown person has two).
    assert codes(asked) == {ReasonCode.CONSENT_REQUIRED: 2, ReasonCode.SUBJECT_UNKNOWN: 1}
    assert all(reason.meaning for reason in asked.reasons)
    counts = [reason.decisions for reason in asked.reasons]
    assert counts == sorted(counts, reverse=True)  # most common first


def test_an_organisation_neither_asking_nor_disclosing_sees_none(borough: Session) -> None:
    ask(borough, ADA)

    report = reports.refusals(borough, "southmere", ["southmere-anything"], since=AN_HOUR_AGO)

    assert (report.decisions, report.reasons) == (0, ())


def test_permits_do_not_count_and_partial_refusals_do(borough: Session) -> None:
    grant(borough, ADA)
    assert ask(borough, ADA) == ["permit"]
    assert reports.refusals(borough, "northbridge-schools", [], since=AN_HOUR_AGO).decisions == 0

    assert ask(borough, ADA, fields=("first_name", "weekly_income")) == ["partial"]
    report = reports.refusals(borough, "northbridge-schools", [], since=AN_HOUR_AGO)
    assert report.decisions == 1
    assert codes(report) == {ReasonCode.FIELD_NOT_IN_AGREEMENT: 1}


def test_decisions_before_the_period_are_left_out(borough: Session) -> None:
    ask(borough, ADA)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)

    report = reports.refusals(borough, "northbridge-schools", [], since=later)

    assert (report.since, report.decisions, report.reasons) == (later, 0, ())
