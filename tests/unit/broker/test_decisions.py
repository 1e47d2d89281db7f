"""The broker against the real register, consent and ledger: decisions, minimisation, the
very next decision after a withdrawal, one ledger entry per decision, idempotent retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.broker import services as broker
from sharewell.broker.errors import IdempotencyConflict
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import decode_entry, open_entry
from sharewell.ledger.note import Signer
from sharewell.register import services as register
from sharewell.register.dataset_import import import_dataset_csv
from sharewell.register.vocabulary import AgreementStatus

SCHOOLS = broker.Requester(organisation="northbridge-schools", actor="staff:officer")
FSM = "northbridge-hb-fsm-consent"
HB_HEADER = (
    "record_id,claim_ref,nino,first_name,last_name,dob,postcode,children_count,weekly_income\n"
)
HB_ROWS = (
    "HB1,C1,AB123456C,Ada,Lovelace,1985-12-10,NB1 4QX,2,120.00\n"
    "HB2,C2,CE654321A,Alan,Turing,1990-06-23,NB2 7AA,1,99.50\n"
)


@pytest.fixture
def borough(session: Session, tmp_path: Path) -> Session:
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    extract = tmp_path / "hb.csv"
    extract.write_text(HB_HEADER + HB_ROWS, encoding="utf-8")
    import_dataset_csv(session, "northbridge", "housing-benefit-claims", extract)
    return session


def fsm_request(
    *ninos: str,
    fields: tuple[str, ...] = ("housing-benefit-claims.first_name", "housing-benefit-claims.dob"),
) -> DecisionRequest:
    return DecisionRequest.model_validate(
        {
            "purpose": "free-school-meals",
            "agreement": FSM,
            "subjects": [{"scheme": "nino", "value": n} for n in ninos],
            "fields": list(fields),
        }
    )


def grant(session: Session, nino: str, state: str = "granted") -> None:
    subject = consent.resolve_subject(session, "nino", nino, create=True)
    consent.record_consent(
        session,
        subject_id=subject.id,
        scope=ConsentScope.for_agreement(FSM),
        state=state,
        captured_via="paper",
        captured_by=dpo(session, "northbridge"),
        wording="I agree that the council may tell my child's school I get Housing Benefit."
        if state == "granted"
        else None,
    )


def test_consent_then_withdrawal_changes_the_very_next_decision(borough: Session) -> None:
    (first,) = broker.decide(borough, SCHOOLS, fsm_request("AB123456C"), today=TODAY).decisions
    assert first.outcome == "deny"
    assert [r.code for r in first.reasons if r.code == "consent_required"]
    assert first.released == {}

    grant(borough, "AB123456C")
    (second,) = broker.decide(borough, SCHOOLS, fsm_request("AB 12 34 56 C"), today=TODAY).decisions
    assert second.outcome == "permit"
    assert second.released == {
        "housing-benefit-claims.first_name": "Ada",
        "housing-benefit-claims.dob": "1985-12-10",
    }

    grant(borough, "AB123456C", state="withdrawn")
    (third,) = broker.decide(borough, SCHOOLS, fsm_request("AB123456C"), today=TODAY).decisions
    assert third.outcome == "deny"
    assert "consent_withdrawn" in [r.code for r in third.reasons]


def test_only_released_fields_carry_values(borough: Session) -> None:
    grant(borough, "AB123456C")
    request = fsm_request(
        "AB123456C",
        fields=(
            "housing-benefit-claims.first_name",
            "housing-benefit-claims.weekly_income",
            "housing-benefit-claims.last_name",
        ),
    )
    (decision,) = broker.decide(borough, SCHOOLS, request, today=TODAY).decisions
    assert decision.outcome == "partial"
    assert decision.released == {
        "housing-benefit-claims.first_name": "Ada",
        "housing-benefit-claims.last_name": "Lovelace",
    }
    assert decision.refused == ["housing-benefit-claims.weekly_income"]
    assert "120" not in decision.model_dump_json()


def written(decisions: int) -> int:
    """How many leaves a chunk of decisions is written as: a power of two."""
    return 1 << (decisions - 1).bit_length()


def chunked(items: Sequence[object]) -> list[Sequence[object]]:
    return [items[i : i + broker.BATCH_CHUNK] for i in range(0, len(items), broker.BATCH_CHUNK)]


def test_every_decision_has_one_ledger_entry_whose_proof_verifies(borough: Session) -> None:
    grant(borough, "AB123456C")
    before = ledger.sequenced_size(borough)
    summary = broker.decide(
        borough, SCHOOLS, fsm_request("AB123456C", "CE654321A", "JH999999A"), today=TODAY
    )
    # Three decisions, written as four leaves (a power of two) so the size does not show.
    assert ledger.sequenced_size(borough) == before + 4
    assert {d.ledger_index for d in summary.decisions} < set(range(before, before + 4))
    signer = Signer.generate("test.example/ledger")
    checkpoint = ledger.integrate(borough, signer)
    assert checkpoint is not None
    for decision in summary.decisions:
        data = ledger.get_entry(borough, decision.ledger_index)
        merkle.verify_inclusion(
            decision.ledger_index,
            checkpoint.size,
            merkle.leaf_hash(data),
            ledger.inclusion_proof(borough, decision.ledger_index, checkpoint.size),
            checkpoint.root_hash,
        )
        body = decode_entry(data)
        assert "outcome" not in body
        assert "reasons" not in body
        assert b"AB123456C" not in data
        assert b"Ada" not in data
    ada = consent.resolve_subject(borough, "nino", "AB123456C")
    opened = [
        open_entry(ledger.get_entry(borough, d.ledger_index), [ada.trail_key])
        for d in summary.decisions
    ]
    assert [o is not None for o in opened] == [True, False, False]
    assert opened[0] is not None
    assert opened[0].facts["outcome"] == summary.decisions[0].outcome


def test_an_unknown_person_is_denied(borough: Session) -> None:
    (decision,) = broker.decide(borough, SCHOOLS, fsm_request("JH999999A"), today=TODAY).decisions
    assert decision.outcome == "deny"
    assert "subject_unknown" in [r.code for r in decision.reasons]


@pytest.mark.parametrize(
    ("requester", "code"),
    [
        (broker.Requester("southmere", "staff:officer"), "recipient_not_party"),
        (broker.Requester("dwp", "client:abc"), "recipient_not_party"),
    ],
)
def test_the_wrong_organisation_gets_nothing(
    borough: Session, requester: broker.Requester, code: str
) -> None:
    grant(borough, "AB123456C")
    (decision,) = broker.decide(borough, requester, fsm_request("AB123456C"), today=TODAY).decisions
    assert decision.outcome == "deny"
    assert decision.released == {}
    assert code in [r.code for r in decision.reasons]


def test_without_an_agreement_there_is_no_gateway(borough: Session) -> None:
    request = DecisionRequest.model_validate(
        {
            "purpose": "debt-recovery",
            "subjects": [{"scheme": "nino", "value": "AB123456C"}],
            "fields": ["housing-benefit-claims.first_name"],
        }
    )
    (decision,) = broker.decide(borough, SCHOOLS, request, today=TODAY).decisions
    assert "no_gateway" in [r.code for r in decision.reasons]


def test_a_suspended_agreement_releases_nothing(borough: Session) -> None:
    grant(borough, "AB123456C")
    register.change_status(
        borough, FSM, AgreementStatus.SUSPENDED, actor=dpo(borough, "northbridge"), today=TODAY
    )
    (decision,) = broker.decide(borough, SCHOOLS, fsm_request("AB123456C"), today=TODAY).decisions
    assert decision.outcome == "deny"
    assert "agreement_not_active" in [r.code for r in decision.reasons]


def test_a_retry_with_the_same_key_adds_nothing(borough: Session) -> None:
    grant(borough, "AB123456C")
    first = broker.decide(
        borough, SCHOOLS, fsm_request("AB123456C"), idempotency_key="retry-0001", today=TODAY
    )
    size = ledger.sequenced_size(borough)
    again = broker.decide(
        borough, SCHOOLS, fsm_request("AB123456C"), idempotency_key="retry-0001", today=TODAY
    )
    assert again.replayed
    assert again.decisions == first.decisions
    assert ledger.sequenced_size(borough) == size
    with pytest.raises(IdempotencyConflict):
        broker.decide(
            borough, SCHOOLS, fsm_request("CE654321A"), idempotency_key="retry-0001", today=TODAY
        )


def test_a_large_batch_is_decided_and_committed_chunk_by_chunk(tmp_path: Path) -> None:
    from factories.databases import fresh_database, migrated_engine
    from sharewell import db

    with fresh_database(tmp_path) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            load_demo_register(session)
            activate_demo_agreements(session, today=TODAY)
            extract = tmp_path / "hb.csv"
            extract.write_text(HB_HEADER + HB_ROWS, encoding="utf-8")
            import_dataset_csv(session, "northbridge", "housing-benefit-claims", extract)
            grant(session, "AB123456C")
            start = ledger.sequenced_size(session)
        people = ["AB123456C"] + [f"JH{i:06d}A" for i in range(2_200)]
        with db.transaction(engine) as session:
            begun = broker.start_batches(session, SCHOOLS, fsm_request(*people))
        chunks = broker.decide_in_batches(engine, SCHOOLS, fsm_request(*people), begun, today=TODAY)
        first = next(chunks)
        # The first chunk is on the ledger before the second is even decided.
        with db.transaction(engine) as session:
            assert ledger.sequenced_size(session) == start + written(broker.BATCH_CHUNK)
        rest = [decision for chunk in chunks for decision in chunk]
        decisions = first + rest
        assert [d.position for d in decisions] == list(range(len(people)))
        assert decisions[0].outcome == "permit"
        assert {d.outcome for d in decisions[1:]} == {"deny"}
        with db.transaction(engine) as session:
            assert ledger.sequenced_size(session) == start + sum(
                written(len(chunk)) for chunk in chunked(people)
            )
        engine.dispose()


def test_an_agreement_past_its_end_date_releases_nothing(borough: Session) -> None:
    grant(borough, "AB123456C")
    terms = register.agreement_terms(borough, [FSM])[FSM]
    after = terms.valid_until + dt.timedelta(days=1)
    (decision,) = broker.decide(borough, SCHOOLS, fsm_request("AB123456C"), today=after).decisions
    assert decision.outcome == "deny"
    assert decision.released == {}
    assert "agreement_not_active" in [r.code for r in decision.reasons]
    # Left to find its own agreement, the broker finds none in force either.
    request = fsm_request("AB123456C").model_copy(update={"agreement": None})
    (found,) = broker.decide(borough, SCHOOLS, request, today=after).decisions
    assert found.released == {}
    assert "no_gateway" in [r.code for r in found.reasons]


def test_a_retried_stream_answers_what_was_decided_and_decides_only_the_rest(
    tmp_path: Path,
) -> None:
    from factories.databases import fresh_database, migrated_engine
    from sharewell import db

    with fresh_database(tmp_path) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            load_demo_register(session)
            activate_demo_agreements(session, today=TODAY)
            start = ledger.sequenced_size(session)
        request = fsm_request(*[f"JH{i:06d}A" for i in range(2_500)])
        with db.transaction(engine) as session:
            begun = broker.start_batches(session, SCHOOLS, request, idempotency_key="run-0001")
        assert begun.decided == 0
        interrupted = broker.decide_in_batches(engine, SCHOOLS, request, begun, today=TODAY)
        first_try = next(interrupted)  # the connection drops after the first chunk
        interrupted.close()

        with db.transaction(engine) as session:
            again = broker.start_batches(session, SCHOOLS, request, idempotency_key="run-0001")
        assert again == broker.BatchStart(request_id=begun.request_id, decided=broker.BATCH_CHUNK)
        retry = [
            d
            for chunk in broker.decide_in_batches(engine, SCHOOLS, request, again, today=TODAY)
            for d in chunk
        ]
        assert [d.position for d in retry] == list(range(2_500))
        assert retry[: broker.BATCH_CHUNK] == first_try
        with db.transaction(engine) as session:
            assert ledger.sequenced_size(session) == start + sum(
                written(len(chunk)) for chunk in chunked(range(2_500))
            )
            finished = broker.start_batches(session, SCHOOLS, request, idempotency_key="run-0001")
            assert finished.decided == 2_500
            with pytest.raises(IdempotencyConflict):
                broker.start_batches(
                    session, SCHOOLS, fsm_request("AB123456C"), idempotency_key="run-0001"
                )
        engine.dispose()
