"""A citizen's trail against the real broker, consent and ledger: every entry about them and
nothing about anyone else, explained; proofs that verify; choices that change the next decision."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from factories.register import TODAY, dpo, load_demo_register
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.demo.cli import activate_demo_agreements
from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.entries import read_trail_keys, scan_trail
from sharewell.ledger.note import Signer
from sharewell.register.dataset_import import import_dataset_csv
from sharewell.trail import choices, services
from sharewell.trail.choices import ChoiceUnavailable
from sharewell.trail.services import EntryNotInYourTrail, TrailFilters

SCHOOLS = broker.Requester(organisation="northbridge-schools", actor="staff:officer")
FSM = "northbridge-hb-fsm-consent"
HB = (
    "record_id,claim_ref,nino,first_name,last_name,dob,postcode,children_count,weekly_income\n"
    "HB1,C1,AB123456C,Ada,Lovelace,1985-12-10,NB1 4QX,2,120.00\n"
    "HB2,C2,CE654321A,Alan,Turing,1990-06-23,NB2 7AA,1,99.50\n"
)
SIGNER = Signer.generate("test.example/ledger")


@pytest.fixture
def borough(session: Session, tmp_path: Path) -> Session:
    load_demo_register(session)
    activate_demo_agreements(session, today=TODAY)
    (tmp_path / "hb.csv").write_text(HB, encoding="utf-8")
    import_dataset_csv(session, "northbridge", "housing-benefit-claims", tmp_path / "hb.csv")
    return session


def ask(session: Session, *ninos: str, fields: tuple[str, ...] | None = None) -> None:
    request = DecisionRequest.model_validate(
        {
            "purpose": "free-school-meals",
            "agreement": FSM,
            "subjects": [{"scheme": "nino", "value": n} for n in ninos],
            "fields": list(
                fields
                or ("housing-benefit-claims.first_name", "housing-benefit-claims.weekly_income")
            ),
        }
    )
    broker.decide(session, SCHOOLS, request)


def subject(session: Session, nino: str) -> str:
    return consent.resolve_subject(session, "nino", nino, create=True).id


def test_the_trail_holds_every_entry_about_the_person_newest_first_and_no_one_elses(
    borough: Session,
) -> None:
    ada, alan = subject(borough, "AB123456C"), subject(borough, "CE654321A")
    ask(borough, "AB123456C", "CE654321A")
    choices.make_choice(borough, ada, FSM, "granted")
    ask(borough, "AB123456C", "CE654321A")

    trail = services.trail_for(borough, ada)
    assert [e.kind for e in trail.entries] == ["decision", "consent", "decision"]
    assert [e.outcome for e in trail.entries] == ["partial", "granted", "deny"]
    indices = [e.index for e in trail.entries]
    assert indices == sorted(indices, reverse=True)
    assert not set(indices) & {e.index for e in services.trail_for(borough, alan).entries}

    newest = trail.entries[0]
    assert newest.organisation == "Northbridge Schools Trust"
    assert newest.purpose_title.lower().startswith("free school meals")
    assert [f.name for f in newest.released] == ["housing-benefit-claims.first_name"]
    assert [f.name for f in newest.refused] == ["housing-benefit-claims.weekly_income"]
    assert newest.released[0].label != newest.released[0].name  # a title people can read
    assert newest.gateways
    assert all(g.citation and g.url for g in newest.gateways)
    assert "You had given your consent." in newest.reasons
    oldest = trail.entries[-1]
    assert "consent_required" in oldest.reason_codes
    assert any("you had not given it" in reason for reason in oldest.reasons)


def test_filters_keep_only_matching_entries_and_offer_what_the_whole_trail_holds(
    borough: Session,
) -> None:
    ada = subject(borough, "AB123456C")
    ask(borough, "AB123456C")
    choices.make_choice(borough, ada, FSM, "granted")
    trail = services.trail_for(borough, ada, TrailFilters(outcome="deny"))
    assert [e.outcome for e in trail.entries] == ["deny"]
    assert trail.total == 2
    assert set(trail.outcomes) == {"deny", "granted"}
    by_org = services.trail_for(borough, ada, TrailFilters(organisation="northbridge-schools"))
    assert [e.kind for e in by_org.entries] == ["decision"]
    assert services.trail_for(borough, ada, TrailFilters(purpose="nope")).entries == ()


def test_another_persons_entry_is_not_found_and_says_the_same_as_no_entry(
    borough: Session,
) -> None:
    ada, alan = subject(borough, "AB123456C"), subject(borough, "CE654321A")
    ask(borough, "CE654321A")
    (theirs,) = [e.index for e in services.trail_for(borough, alan).entries]
    for index in (theirs, 10**9):
        with pytest.raises(EntryNotInYourTrail) as refused:
            services.entry_for(borough, ada, index)
        assert refused.value.message == f"There is no record {index} in your data."
        with pytest.raises(EntryNotInYourTrail):
            services.proof_bundle(borough, ada, index, SIGNER.vkey)
        with pytest.raises(EntryNotInYourTrail):
            services.check_entry(borough, ada, index, SIGNER.verifier())


def test_a_checked_entry_is_included_in_the_signed_log_and_its_bundle_verifies_offline(
    borough: Session,
) -> None:
    ada = subject(borough, "AB123456C")
    ask(borough, "AB123456C")
    (entry,) = services.trail_for(borough, ada).entries
    assert services.check_entry(borough, ada, entry.index, SIGNER.verifier()).pending
    ledger.integrate(borough, SIGNER)

    check = services.check_entry(borough, ada, entry.index, SIGNER.verifier())
    assert check.included
    assert not check.pending
    assert check.problem is None
    bundle = services.proof_bundle(borough, ada, entry.index, SIGNER.vkey)
    signed = SignedCheckpoint.from_text(bundle["checkpoint"], [SIGNER.verifier()])
    data = base64.b64decode(bundle["entry"])
    merkle.verify_inclusion(
        bundle["index"],
        signed.size,
        merkle.leaf_hash(data),
        [base64.b64decode(h) for h in bundle["proof"]],
        signed.root_hash,
    )
    assert b"AB123456C" not in data
    assert b"Ada" not in data


def test_a_checkpoint_signed_by_another_key_is_reported_not_included(borough: Session) -> None:
    ada = subject(borough, "AB123456C")
    ask(borough, "AB123456C")
    ledger.integrate(borough, SIGNER)
    (entry,) = services.trail_for(borough, ada).entries
    impostor = Signer.generate("test.example/ledger")
    check = services.check_entry(borough, ada, entry.index, impostor.verifier())
    assert not check.included
    assert check.problem


def test_the_trail_key_file_opens_exactly_the_persons_entries(borough: Session) -> None:
    ada = subject(borough, "AB123456C")
    ask(borough, "AB123456C", "CE654321A")
    keys = read_trail_keys(services.trail_key_file(borough, ada, "test.example/ledger"))
    assert keys == (consent.trail_key(borough, ada),)
    (entry,) = services.trail_for(borough, ada).entries
    assert services.opens_for(borough, ada, entry.index)


def test_withdrawing_in_the_portal_denies_the_very_next_request(borough: Session) -> None:
    ada = subject(borough, "AB123456C")
    choices.make_choice(borough, ada, FSM, "granted")
    (fsm,) = [c for c in choices.choices_for(borough, ada) if c.agreement_id == FSM]
    assert fsm.state == "granted"
    assert [a.state for a in fsm.actions] == ["withdrawn"]
    record = choices.make_choice(borough, ada, FSM, "withdrawn")
    assert record.captured_via == "portal"
    ask(borough, "AB123456C")
    newest = services.trail_for(borough, ada).entries[0]
    assert newest.outcome == "deny"
    assert "consent_withdrawn" in newest.reason_codes
    assert services.trail_for(borough, ada).entries[1].index == record.ledger_index


def test_a_change_the_agreement_does_not_offer_is_refused_and_records_nothing(
    borough: Session,
) -> None:
    ada = subject(borough, "AB123456C")
    before = ledger.sequenced_size(borough)
    with pytest.raises(ChoiceUnavailable):
        choices.make_choice(borough, ada, FSM, "withdrawn")  # nothing given yet
    with pytest.raises(ChoiceUnavailable):
        choices.make_choice(borough, ada, FSM, "objected")  # consent-based: withdraw instead
    assert ledger.sequenced_size(borough) == before


def test_objection_is_offered_only_where_the_law_gives_a_right_to_object(
    borough: Session,
) -> None:
    ada = subject(borough, "AB123456C")
    for choice in choices.choices_for(borough, ada):
        states = {a.state for a in choice.actions}
        if choice.consent_required:
            assert states == {"granted"}
        elif choice.can_object:
            assert states == {"objected"}
        else:
            assert states == set()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.sampled_from(["ask-ada", "ask-alan", "grant", "withdraw", "new-key"]), max_size=8
    )
)
def test_the_trail_is_exactly_the_entries_the_persons_trail_key_opens(
    borough: Session, steps: list[str]
) -> None:
    """Completeness, the property the trail key lets anyone check: the portal shows a person
    every entry whose commitment opens under their keys (across new keys), and no other."""
    with borough.begin_nested() as attempt:
        ada = subject(borough, "AB123456C")
        start = ledger.sequenced_size(borough)
        for step in steps:
            if step == "ask-ada":
                ask(borough, "AB123456C")
            elif step == "ask-alan":
                ask(borough, "CE654321A")
            elif step == "new-key":
                services.new_trail_key(borough, ada)
            else:
                state = "granted" if step == "grant" else "withdrawn"
                offered = choices.choice_for(borough, ada, FSM).actions
                if any(a.state == state for a in offered):
                    choices.make_choice(borough, ada, FSM, state)
        shown = {e.index for e in services.trail_for(borough, ada).entries}
        keys = consent.trail_keys(borough, ada)
        opened = {i for i, _ in scan_trail(ledger.iter_entries(borough, start), keys)}
        assert {i for i in shown if i >= start} == opened
        attempt.rollback()


def test_staff_recorded_consent_is_in_the_trail_too(borough: Session) -> None:
    ada = subject(borough, "AB123456C")
    consent.record_consent(
        borough,
        subject_id=ada,
        scope=ConsentScope.for_agreement(FSM),
        state="granted",
        captured_via="paper",
        captured_by=dpo(borough, "northbridge"),
        wording="I agree.",
    )
    (entry,) = services.trail_for(borough, ada).entries
    assert entry.kind == "consent"
    assert entry.organisation == "Northbridge Borough Council"
