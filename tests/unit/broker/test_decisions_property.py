"""Properties of the broker against real databases: random agreements (fields, parties, laws,
consent), random consents and objections, random requests.

- Nothing released is outside the agreement's fields (nor outside what was asked).
- A withdrawal or an objection changes the very next decision about that person.
- Every decision has exactly one ledger entry, saying what the decision said, and its
  inclusion proof verifies against a signed checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from factories.databases import fresh_database, migrated_engine, rolled_back
from factories.register import TODAY, agreement_yaml, dpo, load_demo_register
from sharewell import db
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest, SubjectDecision
from sharewell.consent import services as consent
from sharewell.consent.errors import SubjectUnknown
from sharewell.consent.schemas import ConsentScope
from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import open_entry
from sharewell.ledger.note import Signer
from sharewell.register import services as register
from sharewell.register.dataset_import import import_dataset_csv
from sharewell.register.vocabulary import AgreementStatus

AGREEMENT = "northbridge-property-agreement"
HB = "housing-benefit-claims"
HB_FIELDS = [
    "record_id", "claim_ref", "nino", "first_name", "last_name", "dob", "postcode",
    "children_count", "weekly_income",
]  # fmt: skip
HB_ROWS = (
    ",".join(HB_FIELDS) + "\n"
    "HB1,C1,AB123456C,Ada,Lovelace,1985-12-10,NB1 4QX,2,120.00\n"
    "HB2,C2,CE654321A,Alan,Turing,1990-06-23,NB2 7AA,1,99.50\n"
)
PEOPLE = ["AB123456C", "CE654321A", "JH999999A"]  # the last is not held by Northbridge
# Laws from the catalogue and a purpose each allows (one needs consent, others do not).
LAWS = [
    ("consent-route", "free-school-meals"),
    ("ssaa1992-s122e", "benefit-administration"),
    ("wra2012-s131", "welfare-services"),
]
ORGANISATIONS = ["northbridge-schools", "southmere", "northbridge-advice", "dwp"]
SIGNER = Signer.generate("property.example/ledger")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home = tmp_path_factory.mktemp("property")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            load_demo_register(session)
            extract = Path(home) / "hb.csv"
            extract.write_text(HB_ROWS, encoding="utf-8")
            import_dataset_csv(session, "northbridge", HB, extract)
        yield engine
        engine.dispose()


agreements = st.fixed_dictionaries(
    {
        "law": st.sampled_from(LAWS),
        "fields": st.lists(st.sampled_from(HB_FIELDS), min_size=1, max_size=6, unique=True),
        "recipients": st.lists(st.sampled_from(ORGANISATIONS), min_size=1, max_size=3, unique=True),
        "consent_required": st.sampled_from([None, True]),
    }
)
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("ask"),
            st.sampled_from(ORGANISATIONS),
            st.lists(st.sampled_from([*HB_FIELDS, "nope"]), min_size=1, max_size=5, unique=True),
        ),
        st.tuples(
            st.just("consent"),
            st.sampled_from(PEOPLE[:2]),
            st.sampled_from(["granted", "withdrawn", "objected"]),
        ),
    ),
    min_size=1,
    max_size=8,
)


def _known(session: Session, nino: str) -> bytes | None:
    try:
        return consent.resolve_subject(session, "nino", nino).trail_key
    except SubjectUnknown:
        return None


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(agreement=agreements, script=steps)
def test_random_registers_consents_and_requests(
    engine: Engine, agreement: dict[str, object], script: list[tuple[str, str, object]]
) -> None:
    with rolled_back(engine) as session:
        law, purpose = agreement["law"]  # type: ignore[misc]
        register.import_documents(
            session,
            agreement_yaml(
                id=AGREEMENT,
                recipients=agreement["recipients"],
                gateways=[law],
                purposes=[{"code": purpose, "description": "Property test."}],
                datasets=[{"dataset": HB, "fields": agreement["fields"]}],
                consent_required=agreement["consent_required"],
            ),
        )
        register.change_status(
            session,
            AGREEMENT,
            AgreementStatus.ACTIVE,
            actor=dpo(session, "northbridge"),
            today=TODAY,
        )
        terms = register.agreement_terms(session, [AGREEMENT])[AGREEMENT]
        allowed = {f"{HB}.{name}" for name in agreement["fields"]}  # type: ignore[attr-defined]
        dataset = terms.datasets[0]
        held = register.held_records(session, dataset, ninos=PEOPLE, record_ids=()).by_nino
        last: dict[str, SubjectDecision] = {}
        changed_since: dict[str, str] = {}  # person -> the refusal recorded since their last
        acknowledged: list[SubjectDecision] = []

        for step in script:
            if step[0] == "consent":
                _, nino, state = step
                _record(session, nino, str(state))
                if state in ("withdrawn", "objected"):
                    changed_since[nino] = str(state)
                else:
                    changed_since.pop(nino, None)
                continue
            _, requester, asked = step
            fields = [f"{HB}.{name}" for name in asked]  # type: ignore[attr-defined]
            size = ledger.sequenced_size(session)
            summary = broker.decide(
                session,
                broker.Requester(str(requester), "client:property"),
                DecisionRequest.model_validate(
                    {
                        "purpose": purpose,
                        "agreement": AGREEMENT,
                        "subjects": [{"scheme": "nino", "value": n} for n in PEOPLE],
                        "fields": fields,
                    }
                ),
                today=TODAY,
            )
            # Written as a power-of-two count of leaves, so the request's size does not show.
            assert ledger.sequenced_size(session) == size + (1 << (len(PEOPLE) - 1).bit_length())
            for nino, decision in zip(PEOPLE, summary.decisions, strict=True):
                # Minimisation: released ⊆ agreement ∩ asked, each with the held value.
                assert set(decision.released) <= allowed & set(fields)
                for name, value in decision.released.items():
                    assert value == held[nino].get(name.split(".", 1)[1])
                # The ledger says exactly what the decision said, to the person.
                # (Someone nobody holds and nobody has named has no key: nothing opens.)
                if (known := _known(session, nino)) is not None:
                    entry = ledger.get_entry(session, decision.ledger_index)
                    opened = open_entry(entry, [known])
                    assert opened is not None
                    assert opened.facts["outcome"] == decision.outcome
                    assert opened.facts["released"] == list(decision.released)
                previous = last.get(nino)
                refusal = changed_since.pop(nino, None)
                if refusal and previous is not None and previous.released:
                    _assert_refusal_took_effect(refusal, decision, terms.consent_required)
                last[nino] = decision
                acknowledged.append(decision)

        checkpoint = ledger.integrate(session, SIGNER)
        for decision in acknowledged:
            assert checkpoint is not None
            merkle.verify_inclusion(
                decision.ledger_index,
                checkpoint.size,
                merkle.leaf_hash(ledger.get_entry(session, decision.ledger_index)),
                ledger.inclusion_proof(session, decision.ledger_index, checkpoint.size),
                checkpoint.root_hash,
            )
        indexes = [d.ledger_index for d in acknowledged]
        assert len(set(indexes)) == len(indexes)  # one entry each, never shared


def _assert_refusal_took_effect(
    refusal: str, decision: SubjectDecision, consent_required: bool
) -> None:
    codes = {reason.code for reason in decision.reasons}
    if refusal == "withdrawn":
        if consent_required:
            assert decision.released == {}
            assert "consent_withdrawn" in codes
        # Without a consent requirement a withdrawal has nothing to withdraw from: the law
        # cited does not rest on consent, and the decision says so by not citing consent.
        else:
            assert "consent_given" not in codes
        return
    # An objection stops the sharing, or the decision says why the law overrides it.
    assert decision.released == {} or "objection_not_applicable" in codes
    assert "objection" in codes or "objection_not_applicable" in codes


def _record(session: Session, nino: str, state: str) -> None:
    subject = consent.resolve_subject(session, "nino", nino, create=True)
    consent.record_consent(
        session,
        subject_id=subject.id,
        scope=ConsentScope.for_agreement(AGREEMENT),
        state=state,
        captured_via="portal",
        captured_by=None,
        wording="I agree that the council may share this." if state == "granted" else None,
    )
