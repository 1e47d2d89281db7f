"""Properties: the consent that applies equals a simple reference model, at every moment.

Random histories of timestamped consent events for one subject — grants (some expiring),
withdrawals and objections, for the agreement or its purpose, for every recipient or one —
are recorded through the service; then ``current_consent`` is asked about many moments.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from factories.consent import FSM_AGREEMENT, WORDING
from factories.register import load_demo_register
from sharewell.consent import services
from sharewell.consent.schemas import ConsentScope
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus, IdentifierScheme

GRANTED, WITHDRAWN, OBJECTED = ConsentStatus
PURPOSE = "free-school-meals"  # the purpose of FSM_AGREEMENT
SCHOOLS = "northbridge-schools"  # its recipient
# Long ago, so that asking about "now" finds every expiring grant expired.
BASE = dt.datetime(2020, 3, 1, 12, 0, tzinfo=dt.UTC)
NINOS = (f"AB{n:06d}C" for n in itertools.count())


@dataclass(frozen=True)
class Event:
    minute: int
    agreement: bool  # about the agreement, else about its purpose
    status: ConsentStatus
    recipient: str | None
    lasts: int | None  # minutes until a grant expires; None for no expiry

    @property
    def at(self) -> dt.datetime:
        return BASE + dt.timedelta(minutes=self.minute)

    @property
    def expires(self) -> dt.datetime | None:
        return self.at + dt.timedelta(minutes=self.lasts) if self.lasts is not None else None


@st.composite
def events(draw: st.DrawFn) -> Event:
    status = draw(st.sampled_from(ConsentStatus))
    return Event(
        minute=draw(st.integers(0, 20)),  # a small range, so that some events share a moment
        agreement=draw(st.booleans()),
        status=status,
        recipient=draw(st.sampled_from([None, SCHOOLS])),
        lasts=draw(st.none() | st.integers(1, 12)) if status == GRANTED else None,
    )


@dataclass(frozen=True)
class Query:
    at: dt.datetime
    recipient: str
    under_agreement: bool  # a request under the agreement, else for the purpose alone


# --------------------------------------------------------------------------- the reference


def reference(history: list[Event], query: Query) -> int | None:
    """The position in ``history`` (recording order) of the event that decides, if any.

    The latest event that applies and has not expired decides within its scope; the
    agreement's outranks the purpose's, unless the purpose's is a later refusal.
    """

    def latest(agreement: bool) -> int | None:
        standing = [
            position
            for position, e in enumerate(history)
            if e.agreement == agreement
            and (not agreement or query.under_agreement)
            and e.at <= query.at
            and e.recipient in (None, query.recipient)
            and (e.expires is None or e.expires > query.at)
        ]
        return standing[-1] if standing else None

    by_agreement, by_purpose = latest(agreement=True), latest(agreement=False)
    if by_agreement is None or by_purpose is None:
        return by_purpose if by_agreement is None else by_agreement
    later_refusal = by_purpose > by_agreement and history[by_purpose].status != GRANTED
    return by_purpose if later_refusal else by_agreement


def queries(history: list[Event]) -> list[Query]:
    """Moments just before, at and just after every event and expiry, and before them all."""
    edges = {e.at for e in history} | {e.expires for e in history if e.expires is not None}
    second = dt.timedelta(seconds=1)
    moments = {BASE - second} | {edge + d for edge in edges for d in (-second, 0 * second, second)}
    return [
        Query(at=moment, recipient=recipient, under_agreement=under)
        for moment in sorted(moments)
        for recipient in (SCHOOLS, "southmere")
        for under in (True, False)
    ]


# --------------------------------------------------------------------------- the properties


@pytest.fixture
def register(session: Session) -> Session:
    load_demo_register(session)
    return session


def record_history(session: Session, drawn: list[Event]) -> tuple[str, list[Event], list[str]]:
    """A new subject with ``drawn`` recorded in time order; returns what was recorded."""
    subject = services.resolve_subject(session, IdentifierScheme.NINO, next(NINOS), create=True)
    history = sorted(drawn, key=lambda e: e.minute)  # stable: ties keep their drawn order
    ids = []
    for event in history:
        scope = (
            ConsentScope.for_agreement(FSM_AGREEMENT, recipient=event.recipient)
            if event.agreement
            else ConsentScope.for_purpose(PURPOSE, recipient=event.recipient)
        )
        stored = services.record_consent(
            session,
            subject_id=subject.id,
            scope=scope,
            state=event.status,
            captured_via=CaptureMethod.PORTAL,
            wording=WORDING if event.status == GRANTED else None,
            expires_at=event.expires,
            now=event.at,
        )
        ids.append(stored.id)
    return subject.id, history, ids


def ask(
    session: Session, subject_id: str, query: Query | None, recipient: str = SCHOOLS
) -> str | None:
    state = services.current_consent(
        session,
        subject_id,
        agreement_id=FSM_AGREEMENT if query is None or query.under_agreement else None,
        purpose=PURPOSE,
        recipient=query.recipient if query else recipient,
        at=query.at if query else None,
    )
    if state.decided_by is None:
        assert state.status is None
        return None
    assert state.status == state.decided_by.state
    return state.decided_by.id


SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(drawn=st.lists(events(), max_size=8))
def test_current_consent_matches_the_reference_at_every_moment(
    register: Session, drawn: list[Event]
) -> None:
    subject_id, history, ids = record_history(register, drawn)
    for query in queries(history):
        expected = reference(history, query)
        assert ask(register, subject_id, query) == (ids[expected] if expected is not None else None)
    # With no moment given, every record so far counts (and every expiring grant has expired).
    now = Query(at=dt.datetime.now(dt.UTC), recipient=SCHOOLS, under_agreement=True)
    expected = reference(history, now)
    assert ask(register, subject_id, None) == (ids[expected] if expected is not None else None)


@SETTINGS
@given(drawn=st.lists(events(), min_size=1, max_size=8))
def test_a_refusal_changes_every_later_decision(register: Session, drawn: list[Event]) -> None:
    """After a withdrawal or objection at t, no decision at t' ≥ t is a grant, unless the
    person granted consent again after it in a scope that can override it."""
    subject_id, history, _ = record_history(register, drawn)
    states = {
        query: services.current_consent(
            register,
            subject_id,
            agreement_id=FSM_AGREEMENT if query.under_agreement else None,
            purpose=PURPOSE,
            recipient=query.recipient,
            at=query.at,
        )
        for query in queries(history)
    }
    for position, refusal in enumerate(history):
        if refusal.status == GRANTED:
            continue
        for query, state in states.items():
            if query.at < refusal.at or refusal.recipient not in (None, query.recipient):
                continue
            if refusal.agreement and not query.under_agreement:
                continue  # a refusal of the agreement says nothing about other requests
            regranted = any(
                later.status == GRANTED
                and later.at <= query.at
                and later.recipient in (None, query.recipient)
                and (
                    later.agreement
                    if refusal.agreement
                    else query.under_agreement or not later.agreement
                )
                for later in history[position + 1 :]
            )
            if not regranted:
                assert not state.granted, (refusal, query, state.decided_by)
