"""The broker's rules, from facts alone: every outcome, and invariants over random requests."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from sharewell.broker.policy import (
    AgreementFacts,
    ConsentStatus,
    GatewayFacts,
    Outcome,
    ReasonCode,
    RequestFacts,
    decide,
)

PUBLIC_TASK = GatewayFacts(
    "wra2012-s131",
    "Welfare Reform Act 2012, s.131",
    True,
    True,
    False,
    True,
    frozenset({"welfare-services"}),
)
DUTY = GatewayFacts(
    "ssaa1992-s122e",
    "SSAA 1992 s.122E",
    True,
    True,
    False,
    False,
    frozenset({"benefit-administration"}),
)
CONSENT = GatewayFacts(
    "consent-route",
    "UK GDPR Art 6(1)(a)",
    True,
    True,
    True,
    False,
    frozenset({"consented-purpose"}),
)
AGREEMENT = AgreementFacts(
    id="dwp-northbridge",
    active=True,
    discloser="dwp",
    recipients=frozenset({"northbridge"}),
    purposes=frozenset({"welfare-services"}),
    fields=frozenset({"pc.nino", "pc.dob", "pc.postcode"}),
    consent_required=False,
    gateways=(PUBLIC_TASK,),
)
REQUEST = RequestFacts(
    requester="northbridge",
    purpose="welfare-services",
    fields=("pc.nino", "pc.dob"),
    agreement=AGREEMENT,
    subject_known=True,
    consent=None,
)


def test_a_covered_request_is_permitted_with_the_law_named() -> None:
    decision = decide(REQUEST)
    assert decision.outcome is Outcome.PERMIT
    assert decision.released == ("pc.nino", "pc.dob")
    assert "Welfare Reform Act 2012, s.131" in decision.explanation()


def test_fields_outside_the_agreement_make_it_partial() -> None:
    decision = decide(replace(REQUEST, fields=("pc.nino", "pc.income", "pc.nino")))
    assert decision.outcome is Outcome.PARTIAL
    assert decision.released == ("pc.nino",)
    assert decision.refused == ("pc.income",)
    assert ReasonCode.FIELD_NOT_IN_AGREEMENT in decision.codes


def test_nothing_covered_is_a_denial() -> None:
    decision = decide(replace(REQUEST, fields=("pc.income",)))
    assert decision.outcome is Outcome.DENY
    assert ReasonCode.NO_FIELDS_RELEASED in decision.codes


def test_each_blocking_reason() -> None:
    cases = {
        ReasonCode.NO_GATEWAY: replace(REQUEST, agreement=None),
        ReasonCode.AGREEMENT_NOT_ACTIVE: replace(
            REQUEST, agreement=replace(AGREEMENT, active=False)
        ),
        ReasonCode.RECIPIENT_NOT_PARTY: replace(REQUEST, requester="southmere"),
        ReasonCode.PURPOSE_NOT_PERMITTED: replace(REQUEST, purpose="debt-recovery"),
        ReasonCode.SUBJECT_UNKNOWN: replace(REQUEST, subject_known=False),
        ReasonCode.OBJECTION: replace(REQUEST, consent=ConsentStatus.OBJECTED),
    }
    for code, facts in cases.items():
        decision = decide(facts)
        assert decision.outcome is Outcome.DENY, code
        assert code in decision.codes, code
        assert decision.released == ()


def test_law_not_in_force_is_no_gateway() -> None:
    dormant = replace(AGREEMENT, gateways=(replace(PUBLIC_TASK, in_force=False),))
    assert ReasonCode.NO_GATEWAY in decide(replace(REQUEST, agreement=dormant)).codes


def test_consent_based_sharing_needs_a_live_consent() -> None:
    agreement = replace(AGREEMENT, consent_required=True, gateways=(CONSENT,))
    asked = replace(REQUEST, agreement=agreement)
    assert ReasonCode.CONSENT_REQUIRED in decide(asked).codes
    assert decide(replace(asked, consent=ConsentStatus.GRANTED)).outcome is Outcome.PERMIT
    assert (
        ReasonCode.CONSENT_WITHDRAWN
        in decide(replace(asked, consent=ConsentStatus.WITHDRAWN)).codes
    )


def test_an_objection_does_not_stop_a_legal_duty() -> None:
    agreement = replace(AGREEMENT, purposes=frozenset({"benefit-administration"}), gateways=(DUTY,))
    decision = decide(
        replace(
            REQUEST,
            agreement=agreement,
            purpose="benefit-administration",
            consent=ConsentStatus.OBJECTED,
        )
    )
    assert decision.outcome is Outcome.PERMIT
    assert ReasonCode.OBJECTION_NOT_APPLICABLE in decision.codes


def test_no_rules_means_deny() -> None:
    assert decide(REQUEST, rules=()).outcome is Outcome.DENY


field_names = st.sampled_from(["a.x", "a.y", "a.z", "b.x", "b.y"])
gateways = st.builds(
    GatewayFacts,
    id=st.sampled_from(["g1", "g2", "g3"]),
    citation=st.just("Act"),
    in_force=st.booleans(),
    sharing_basis=st.booleans(),
    consent_required=st.booleans(),
    right_to_object=st.booleans(),
    purpose_codes=st.frozensets(st.sampled_from(["p1", "p2"]), max_size=2),
)
agreements = st.builds(
    AgreementFacts,
    id=st.just("ag"),
    active=st.booleans(),
    discloser=st.just("d"),
    recipients=st.frozensets(st.sampled_from(["r1", "r2"]), max_size=2),
    purposes=st.frozensets(st.sampled_from(["p1", "p2"]), max_size=2),
    fields=st.frozensets(field_names, max_size=5),
    consent_required=st.booleans(),
    gateways=st.lists(gateways, max_size=3).map(tuple),
)
requests = st.builds(
    RequestFacts,
    requester=st.sampled_from(["r1", "r2", "r3"]),
    purpose=st.sampled_from(["p1", "p2"]),
    fields=st.lists(field_names, min_size=1, max_size=6).map(tuple),
    agreement=st.one_of(st.none(), agreements),
    subject_known=st.booleans(),
    consent=st.one_of(st.none(), st.sampled_from(list(ConsentStatus))),
)


@given(requests)
def test_nothing_outside_the_agreement_is_ever_released(facts: RequestFacts) -> None:
    decision = decide(facts)
    allowed = facts.agreement.fields if facts.agreement else frozenset()
    assert set(decision.released) <= allowed & set(facts.fields)
    assert set(decision.released).isdisjoint(decision.refused)
    assert (decision.outcome is Outcome.DENY) == (decision.released == ())
    if decision.outcome is not Outcome.DENY:
        assert facts.agreement is not None
        assert facts.agreement.active
        assert facts.requester in facts.agreement.recipients
        assert facts.purpose in facts.agreement.purposes
        assert facts.subject_known
    assert all(r.message for r in decision.reasons)


@given(requests, st.sampled_from([ConsentStatus.WITHDRAWN, ConsentStatus.OBJECTED]))
def test_a_withdrawal_or_objection_changes_a_consent_based_permit(
    facts: RequestFacts, refusal: ConsentStatus
) -> None:
    granted = replace(facts, consent=ConsentStatus.GRANTED)
    if facts.agreement is None or not facts.agreement.consent_required:
        return
    before = decide(granted)
    after = decide(replace(facts, consent=refusal))
    assert after.outcome is Outcome.DENY
    if before.outcome is not Outcome.DENY:
        assert after.outcome != before.outcome
