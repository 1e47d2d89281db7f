"""Every reason code said in plain words to each reader, and never in a way that contradicts
the decision: rendered for every audience, every outcome and any mix of codes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from factories.wording import plain
from sharewell.broker.policy import AgreementFacts, Outcome, ReasonCode, RequestFacts, decide
from sharewell.broker.policy import ConsentStatus as PolicyConsent
from sharewell.broker.wording import (
    EXPLAINS_A_RELEASE,
    REASON_WORDS,
    Audience,
    explain,
    meaning,
)
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus
from sharewell.register.terms import GatewayTerms
from sharewell.trail.wording import CAPTURED_VIA, CONSENT_CHANGES

SAYS_WHAT_ALLOWED = tuple(REASON_WORDS[c].said_to(a) for c in EXPLAINS_A_RELEASE for a in Audience)

codes = st.lists(
    st.sampled_from([c.value for c in ReasonCode]) | st.text(min_size=1, max_size=30),
    max_size=8,
)


def test_every_reason_code_has_words_for_every_reader() -> None:
    assert set(REASON_WORDS) == set(ReasonCode)
    for code in ReasonCode:
        for audience in Audience:
            plain(meaning(code.value, audience))


@pytest.mark.parametrize("code", list(ReasonCode))
def test_residents_are_spoken_to_and_staff_are_spoken_to_about_the_person(
    code: ReasonCode,
) -> None:
    to_resident = meaning(code.value, Audience.RESIDENT).lower()
    to_staff = meaning(code.value, Audience.STAFF).lower()
    assert "the person" not in to_resident
    assert not re.search(r"\byou(r)?\b", to_staff), to_staff


@given(outcome=st.sampled_from(list(Outcome)), reasons=codes, audience=st.sampled_from(Audience))
def test_any_decision_is_explained_plainly_and_without_contradiction(
    outcome: Outcome, reasons: list[str], audience: Audience
) -> None:
    said = explain(outcome.value, reasons, audience)
    for sentence in said:
        plain(sentence)
        assert sentence not in [r for r in reasons if r not in {c.value for c in ReasonCode}]
    assert len(said) == len(set(said))
    if outcome is Outcome.DENY:
        # A refusal never says what would have allowed the sharing.
        assert not set(said) & set(SAYS_WHAT_ALLOWED)


gateways = st.builds(
    GatewayTerms,
    id=st.just("a-law"),
    citation=st.just("An Act 2000, s.1"),
    in_force=st.booleans(),
    sharing_basis=st.booleans(),
    consent_required=st.booleans(),
    right_to_object=st.booleans(),
    purpose_codes=st.frozensets(st.sampled_from(["free-school-meals", "council-tax"])),
)
agreements = st.builds(
    AgreementFacts,
    id=st.just("an-agreement"),
    active=st.booleans(),
    discloser=st.just("council"),
    recipients=st.frozensets(st.sampled_from(["school", "charity"])),
    purposes=st.frozensets(st.sampled_from(["free-school-meals", "council-tax"])),
    fields=st.frozensets(st.sampled_from(["hb.name", "hb.income"])),
    consent_required=st.booleans(),
    gateways=st.lists(gateways, max_size=2).map(tuple),
)
requests = st.builds(
    RequestFacts,
    requester=st.sampled_from(["school", "charity"]),
    purpose=st.sampled_from(["free-school-meals", "council-tax"]),
    fields=st.lists(st.sampled_from(["hb.name", "hb.income", "hb.nino"]), max_size=3).map(tuple),
    agreement=st.none() | agreements,
    subject_known=st.booleans(),
    consent=st.none() | st.sampled_from(list(PolicyConsent)),
)


@given(facts=requests, audience=st.sampled_from(Audience))
def test_what_the_broker_decides_is_said_truly(facts: RequestFacts, audience: Audience) -> None:
    decision = decide(facts)
    said = explain(decision.outcome.value, decision.codes, audience)
    assert said, "every decision gives a reason"
    if decision.outcome is Outcome.DENY:
        assert said[0].endswith("so nothing was shared."), said
    else:
        assert not [s for s in said if "so nothing was shared" in s], said
    if facts.agreement is None:
        # With no agreement there is nobody whose records were looked in.
        assert ReasonCode.SUBJECT_UNKNOWN.value not in decision.codes


def test_a_refusal_begins_with_what_stopped_it() -> None:
    said = explain(
        "deny",
        [ReasonCode.GATEWAY_APPLIES, ReasonCode.CONSENT_GIVEN, ReasonCode.OBJECTION],
        Audience.RESIDENT,
    )
    assert said == (
        "You had objected to your information being used for this, so nothing was shared.",
    )


def test_a_partial_release_says_what_was_held_back_before_what_allowed_the_rest() -> None:
    said = explain(
        "partial",
        [ReasonCode.GATEWAY_APPLIES, ReasonCode.FIELD_NOT_IN_AGREEMENT],
        Audience.STAFF,
    )
    assert said[0].startswith("Some of the information asked for is not covered")
    assert said[1].startswith("A law the agreement relies on allows")


def test_an_unknown_code_is_never_shown_raw() -> None:
    for audience in Audience:
        (said,) = explain("deny", ["a_code_from_a_later_release"], audience)
        assert "a_code" not in said
        plain(said)


@pytest.mark.parametrize("state", list(ConsentStatus))
def test_every_consent_change_has_words_for_the_resident(state: ConsentStatus) -> None:
    plain(CONSENT_CHANGES[state.value] + ".")


@pytest.mark.parametrize("channel", list(CaptureMethod))
def test_every_way_a_choice_is_recorded_has_words_for_the_resident(
    channel: CaptureMethod,
) -> None:
    plain("You gave your consent " + CAPTURED_VIA[channel.value] + ".")
