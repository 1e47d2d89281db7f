"""Notifications: opting in and out, a message queued with (and only with) each decision about
someone who opted in, holding nothing that was shared, and delivery that retries failures."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent import services as consent
from sharewell.consent.errors import SubjectUnknown
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.notifications import services as notifications
from sharewell.notifications.errors import DeliveryFailed, EmailAddressInvalid
from sharewell.notifications.models import NotificationPreference, OutboxMessage
from sharewell.register.dataset_import import import_dataset_csv

SCHOOLS = broker.Requester(organisation="northbridge-schools", actor="staff:officer")
FSM = "northbridge-hb-fsm-consent"
ADA, ALAN = "AB123456C", "CE654321A"
ADA_EMAIL = "reader.one@example.net"
NOW = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)
HB = (
    "record_id,claim_ref,nino,first_name,last_name,dob,postcode,children_count,weekly_income\n"
    "HB1,C1,AB123456C,Ada,Lovelace,1985-12-10,NB1 4QX,2,120.00\n"
    "HB2,C2,CE654321A,Alan,Turing,1990-06-23,NB2 7AA,1,99.50\n"
)
# Everything a decision about Ada could release, and her identifiers: none may be in a message.
ADAS_DATA = ("AB123456C", "Ada", "Lovelace", "1985-12-10", "NB1 4QX", "120.00", "HB1", "C1")


class Abandoned(Exception):
    """The decision's transaction fails after the decision was written."""


@pytest.fixture
def borough(session: Session, tmp_path: Path) -> Session:
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    (tmp_path / "hb.csv").write_text(HB, encoding="utf-8")
    import_dataset_csv(session, "northbridge", "housing-benefit-claims", tmp_path / "hb.csv")
    for nino in (ADA, ALAN):
        subject = consent.resolve_subject(session, "nino", nino, create=True)
        consent.record_consent(
            session,
            subject_id=subject.id,
            scope=ConsentScope.for_agreement(FSM),
            state="granted",
            captured_via="paper",
            captured_by=dpo(session, "northbridge"),
            wording="I agree that the council may tell my child's school I get Housing Benefit.",
        )
    return session


def subject_id(session: Session, nino: str) -> str:
    return consent.resolve_subject(session, "nino", nino).id


def ask(session: Session, *ninos: str) -> broker.DecisionSummary:
    request = DecisionRequest.model_validate(
        {
            "purpose": "free-school-meals",
            "agreement": FSM,
            "subjects": [{"scheme": "nino", "value": n} for n in ninos],
            "fields": [
                "housing-benefit-claims.first_name",
                "housing-benefit-claims.last_name",
                "housing-benefit-claims.dob",
            ],
        }
    )
    return broker.decide(session, SCHOOLS, request, today=TODAY)


def messages(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --------------------------------------------------------------------------- queueing


def test_a_decision_about_someone_who_opted_in_queues_one_message(borough: Session) -> None:
    ada = subject_id(borough, ADA)
    notifications.opt_in(borough, ada, ADA_EMAIL, NOW)

    (decision,) = ask(borough, ADA).decisions

    assert decision.outcome == "permit"
    assert decision.released["housing-benefit-claims.first_name"] == "Ada"
    (message,) = messages(borough)
    assert (message.subject_id, message.email, message.template) == (ada, ADA_EMAIL, "data_used")
    assert message.sent_at is None
    assert message.attempts == 0
    assert message.personalisation == {
        "organisation": "Northbridge Schools Trust",
        "purpose": "Free school meals and other education benefits",
        "outcome": "the information was shared",
        "when": message.personalisation["when"],
        "ledger_index": str(decision.ledger_index),
    }
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d", message.personalisation["when"])
    # Who, why, the outcome and when: never a value that was shared, nor an identifier.
    stored = json.dumps([message.email, message.template, message.personalisation])
    assert [value for value in ADAS_DATA if value in stored] == []


def test_someone_who_did_not_opt_in_gets_no_message(borough: Session) -> None:
    notifications.opt_in(borough, subject_id(borough, ADA), ADA_EMAIL, NOW)

    ask(borough, ADA, ALAN)

    assert [m.subject_id for m in messages(borough)] == [subject_id(borough, ADA)]


def test_opting_out_stops_messages_and_drops_unsent_ones(borough: Session) -> None:
    ada = subject_id(borough, ADA)
    notifications.opt_in(borough, ada, ADA_EMAIL, NOW)
    ask(borough, ADA)
    assert len(messages(borough)) == 1

    assert notifications.opt_out(borough, ada).opted_in is False
    ask(borough, ADA)

    assert messages(borough) == []
    assert notifications.preference(borough, ada) == notifications.Preference(False, None, None)
    assert borough.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_no_message_when_the_decision_transaction_rolls_back(borough: Session) -> None:
    notifications.opt_in(borough, subject_id(borough, ADA), ADA_EMAIL, NOW)

    def decide_then_abandon() -> None:
        with borough.begin_nested():
            ask(borough, ADA)
            assert len(messages(borough)) == 1  # queued inside the decision's transaction...
            raise Abandoned

    with pytest.raises(Abandoned):
        decide_then_abandon()
    assert messages(borough) == []  # ...and gone with it


def test_a_batch_costs_one_select_and_one_insert_only_when_someone_opted_in(
    borough: Session, engine: Engine
) -> None:
    statements: list[tuple[str, bool]] = []

    def seen(_c: Any, _cur: Any, statement: str, _p: Any, _ctx: Any, many: bool) -> None:
        if "notification_" in statement:
            statements.append((statement.split()[0].upper(), many))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        ask(borough, ADA, ALAN)
        assert statements == [("SELECT", False)]

        statements.clear()
        notifications.opt_in(borough, subject_id(borough, ADA), ADA_EMAIL, NOW)
        notifications.opt_in(borough, subject_id(borough, ALAN), "reader.two@example.net", NOW)
        borough.flush()
        statements.clear()
        ask(borough, ADA, ALAN)
        assert statements == [("SELECT", False), ("INSERT", True)]
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(messages(borough)) == 2


def test_a_decision_about_nobody_we_can_name_queues_nothing(borough: Session) -> None:
    assert notifications.notify_decisions(borough, []) == 0


# --------------------------------------------------------------------------- preferences


def test_opting_in_again_changes_the_address_and_keeps_the_first_time(borough: Session) -> None:
    ada = subject_id(borough, ADA)
    notifications.opt_in(borough, ada, ADA_EMAIL, NOW)
    later = NOW + dt.timedelta(days=3)

    again = notifications.opt_in(borough, ada, "  new.address@example.net ", later)

    assert again == notifications.Preference(True, "new.address@example.net", NOW)
    assert notifications.preference(borough, ada) == again


@pytest.mark.parametrize("email", ["", "not an address", "two@@example.net", "a@b", "x" * 330])
def test_an_address_mail_could_not_reach_is_refused_and_nothing_written(
    borough: Session, email: str
) -> None:
    with pytest.raises(EmailAddressInvalid):
        notifications.opt_in(borough, subject_id(borough, ADA), email, NOW)
    assert borough.scalar(select(func.count()).select_from(NotificationPreference)) == 0


def test_an_unknown_subject_cannot_opt_in(borough: Session) -> None:
    with pytest.raises(SubjectUnknown):
        notifications.opt_in(borough, "no-such-subject", ADA_EMAIL, NOW)


# --------------------------------------------------------------------------- delivering


class RecordingSender:
    name = "test"

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def send_email(self, to: str, template: str, personalisation: Mapping[str, Any]) -> str:
        if self.failures:
            self.failures -= 1
            raise DeliveryFailed("The email service is down.")
        self.sent.append((to, template, dict(personalisation)))
        return f"ref-{len(self.sent)}"


@pytest.fixture
def queued(borough: Session) -> Session:
    notifications.opt_in(borough, subject_id(borough, ADA), ADA_EMAIL, NOW)
    ask(borough, ADA)
    ask(borough, ADA)
    return borough


def test_deliver_sends_pending_messages_and_marks_them_sent(queued: Session) -> None:
    sender = RecordingSender()

    report = notifications.deliver(queued, sender, 10)

    assert report == notifications.DeliveryReport(sent=2, failed=0)
    assert [to for to, _, _ in sender.sent] == [ADA_EMAIL, ADA_EMAIL]
    assert [(m.reference, m.attempts, m.last_error) for m in messages(queued)] == [
        ("ref-1", 1, None),
        ("ref-2", 1, None),
    ]
    assert all(m.sent_at is not None for m in messages(queued))
    assert notifications.deliver(queued, sender, 10) == notifications.DeliveryReport(0, 0)
    assert len(sender.sent) == 2  # nothing is sent twice


def test_a_failure_is_kept_with_its_error_and_retried(queued: Session) -> None:
    sender = RecordingSender(failures=1)

    assert notifications.deliver(queued, sender, 10) == notifications.DeliveryReport(1, 1)
    first, second = messages(queued)
    assert (first.sent_at, first.attempts, first.last_error) == (
        None,
        1,
        "The email service is down.",
    )
    assert second.sent_at is not None
    assert notifications.pending_count(queued) == 1

    assert notifications.deliver(queued, sender, 10) == notifications.DeliveryReport(1, 0)
    first, _ = messages(queued)
    assert (first.reference, first.attempts, first.last_error) == ("ref-2", 2, None)


def test_deliver_sends_at_most_the_limit_oldest_first(queued: Session) -> None:
    sender = RecordingSender()
    assert notifications.deliver(queued, sender, 1) == notifications.DeliveryReport(1, 0)
    first, second = messages(queued)
    assert first.sent_at is not None
    assert second.sent_at is None


def test_a_message_that_keeps_failing_is_given_up_on(queued: Session) -> None:
    sender = RecordingSender(failures=100)
    for _ in range(notifications.MAX_ATTEMPTS + 2):
        notifications.deliver(queued, sender, 10)
    assert [m.attempts for m in messages(queued)] == [notifications.MAX_ATTEMPTS] * 2
    assert notifications.pending_count(queued) == 0
    assert [m.id for m in notifications.outbox(queued, pending_only=True)] != []


def test_the_outbox_lists_newest_first(queued: Session) -> None:
    rows = notifications.outbox(queued)
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
    assert all(r.email == ADA_EMAIL for r in rows)
