"""Which consent applies to a request: time, expiry, scope precedence, recipients, the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from factories.consent import (
    FSM_AGREEMENT,
    FSM_PURPOSE,
    WHEN,
    consent_counts,
    new_subject,
    officer,
    record,
)
from factories.register import load_demo_register
from sharewell.consent import services
from sharewell.consent.errors import ConsentInputInvalid, SubjectUnknown
from sharewell.consent.models import Subject
from sharewell.consent.schemas import ConsentScope, ConsentState
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus, ScopeKind

GRANTED, WITHDRAWN, OBJECTED = ConsentStatus


def hours(n: float) -> dt.datetime:
    return WHEN + dt.timedelta(hours=n)


@pytest.fixture
def subject(session: Session) -> Subject:
    load_demo_register(session)
    return new_subject(session)


def fsm(
    session: Session,
    subject: Subject,
    at: dt.datetime | None,
    *,
    agreement: str | None = FSM_AGREEMENT,
    recipient: str | None = "northbridge-schools",
) -> ConsentState:
    """The consent that applies to Northbridge telling its schools, at ``at``."""
    return services.current_consent(
        session,
        subject.id,
        agreement_id=agreement,
        purpose="free-school-meals",
        recipient=recipient,
        at=at,
    )


def test_nothing_recorded_means_no_consent(session: Session, subject: Subject) -> None:
    state = fsm(session, subject, None)
    assert state == ConsentState(status=None)
    assert not state.granted
    assert state.scope_kind is None
    assert state.explanation() == "You have not told us whether you agree to this."


def test_grant_withdraw_grant_again(session: Session, subject: Subject) -> None:
    granted = record(session, subject, at=hours(0))
    withdrawn = record(session, subject, WITHDRAWN, at=hours(2))
    again = record(session, subject, at=hours(4))
    assert fsm(session, subject, hours(-1)).status is None
    assert fsm(session, subject, hours(0)).decided_by == granted  # counts from its own moment
    assert fsm(session, subject, hours(1)).granted
    assert fsm(session, subject, hours(2)).decided_by == withdrawn
    assert fsm(session, subject, hours(3)).withdrawn
    assert fsm(session, subject, hours(4)).decided_by == again
    assert fsm(session, subject, None).decided_by == again


def test_a_withdrawal_applies_to_the_very_next_decision(session: Session, subject: Subject) -> None:
    """Recorded by the database's clock, seen by the next decision whatever the clocks say."""
    record(session, subject, at=None)
    assert fsm(session, subject, None).granted
    withdrawn = record(session, subject, WITHDRAWN, at=None)
    state = fsm(session, subject, None)
    assert state.withdrawn
    assert state.decided_by == withdrawn


def test_records_in_the_same_instant_apply_in_the_order_recorded(
    session: Session, subject: Subject
) -> None:
    record(session, subject, at=hours(1))
    objected = record(session, subject, OBJECTED, at=hours(1))
    assert fsm(session, subject, hours(1)).decided_by == objected


def test_an_expired_grant_no_longer_counts(session: Session, subject: Subject) -> None:
    grant = record(session, subject, at=hours(0), expires_at=hours(24))
    assert fsm(session, subject, hours(23)).granted
    state = fsm(session, subject, hours(24))  # expiry is exclusive: gone at that instant
    assert state.status is None
    assert state.lapsed == grant
    assert "ran out on 26 November 2026" in state.explanation()


def test_after_expiry_the_latest_standing_record_decides(
    session: Session, subject: Subject
) -> None:
    withdrawn = record(session, subject, WITHDRAWN, at=hours(0))
    short = record(session, subject, at=hours(1), expires_at=hours(2))
    assert fsm(session, subject, hours(1.5)).decided_by == short
    state = fsm(session, subject, hours(3))
    assert state.decided_by == withdrawn
    assert state.lapsed == short


def test_an_agreement_record_outranks_a_purpose_record(session: Session, subject: Subject) -> None:
    # Objected to free school meals data sharing in general, then agreed to this agreement.
    record(session, subject, OBJECTED, scope=FSM_PURPOSE, at=hours(0))
    agreed = record(session, subject, at=hours(1))
    state = fsm(session, subject, hours(2))
    assert state.decided_by == agreed
    assert state.scope_kind == ScopeKind.AGREEMENT
    # A request under no agreement sees only the purpose.
    assert fsm(session, subject, hours(2), agreement=None).objected


def test_a_purpose_grant_does_not_override_an_agreement_refusal(
    session: Session, subject: Subject
) -> None:
    refused = record(session, subject, WITHDRAWN, at=hours(0))
    record(session, subject, scope=FSM_PURPOSE, at=hours(1))
    assert fsm(session, subject, hours(2)).decided_by == refused
    assert fsm(session, subject, hours(2), agreement=None).granted


def test_a_later_purpose_refusal_reaches_the_agreement(session: Session, subject: Subject) -> None:
    """The exception to precedence: a withdrawal or objection applies to every later decision."""
    record(session, subject, at=hours(0))
    objected = record(session, subject, OBJECTED, scope=FSM_PURPOSE, at=hours(1))
    assert fsm(session, subject, hours(0.5)).granted
    state = fsm(session, subject, hours(1))
    assert state.decided_by == objected
    assert state.scope_kind == ScopeKind.PURPOSE
    # Agreeing to the agreement again, afterwards, is the more specific and later choice.
    again = record(session, subject, at=hours(2))
    assert fsm(session, subject, hours(2)).decided_by == again


def test_other_agreements_and_purposes_do_not_count(session: Session, subject: Subject) -> None:
    record(
        session,
        subject,
        OBJECTED,
        scope=ConsentScope.for_agreement("northbridge-advice-referrals"),
        at=hours(0),
    )
    record(session, subject, OBJECTED, scope=ConsentScope.for_purpose("welfare-services"))
    assert fsm(session, subject, hours(1)).status is None


def test_a_record_for_one_recipient_applies_only_to_it(session: Session, subject: Subject) -> None:
    take_up = "benefit-take-up"
    to_dwp = record(
        session,
        subject,
        OBJECTED,
        scope=ConsentScope.for_purpose(take_up, recipient="dwp"),
        at=hours(0),
    )

    def take_up_by(recipient: str | None) -> ConsentState:
        return services.current_consent(
            session, subject.id, agreement_id=None, purpose=take_up, recipient=recipient
        )

    assert take_up_by("dwp").decided_by == to_dwp
    assert take_up_by("southmere").status is None
    assert take_up_by(None).status is None
    # A later choice for every recipient replaces it, for DWP too.
    everyone = record(session, subject, scope=ConsentScope.for_purpose(take_up), at=hours(1))
    assert take_up_by("dwp").decided_by == everyone


def test_history_is_per_subject(session: Session, subject: Subject) -> None:
    other = new_subject(session, "CE654321A")
    mine = record(session, subject)
    record(session, other, WITHDRAWN)
    assert services.consent_history(session, subject.id) == [mine]
    with pytest.raises(SubjectUnknown):
        services.consent_history(session, "nobody")
    with pytest.raises(SubjectUnknown):
        services.current_consent(
            session, "nobody", agreement_id=FSM_AGREEMENT, purpose="free-school-meals"
        )


def test_questions_must_be_well_formed(session: Session, subject: Subject) -> None:
    with pytest.raises(ConsentInputInvalid) as error:
        services.current_consent(
            session,
            subject.id,
            agreement_id=None,
            purpose="marketing",
            at=dt.datetime(2026, 1, 1),
        )
    assert len(error.value.problems) == 2


@pytest.mark.parametrize(
    ("status", "via", "expected"),
    [
        (
            GRANTED,
            CaptureMethod.PORTAL,
            "You gave consent for the agreement 'northbridge-hb-fsm-consent' on 25 November "
            "2026 online, until 25 November 2027.",
        ),
        (
            WITHDRAWN,
            CaptureMethod.PHONE,
            "You withdrew your consent for the agreement 'northbridge-hb-fsm-consent' on "
            "25 November 2026 by phone.",
        ),
    ],
)
def test_the_explanation_a_citizen_reads(
    session: Session, subject: Subject, status: ConsentStatus, via: CaptureMethod, expected: str
) -> None:
    staff = officer(session) if via != CaptureMethod.PORTAL else None
    expires = WHEN + dt.timedelta(days=365) if status == GRANTED else None
    record(session, subject, status, captured_via=via, captured_by=staff, expires_at=expires)
    assert fsm(session, subject, None).explanation() == expected


def test_an_objection_explained_in_local_time(session: Session, subject: Subject) -> None:
    # 23:30 UTC on 4 June is 00:30 on 5 June in London.
    record(
        session,
        subject,
        OBJECTED,
        scope=FSM_PURPOSE,
        at=dt.datetime(2026, 6, 4, 23, 30, tzinfo=dt.UTC),
    )
    assert fsm(session, subject, None, agreement=None).explanation() == (
        "You objected to the use of your information for free school meals and other "
        "education benefits on 5 June 2026 online."
    )


def test_deciding_writes_nothing(session: Session, subject: Subject) -> None:
    record(session, subject)
    before = consent_counts(session)
    fsm(session, subject, None)
    services.export_dpv(session, subject.id)
    assert consent_counts(session) == before
