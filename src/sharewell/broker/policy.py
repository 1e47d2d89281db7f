"""The broker's rules: permit, partial or deny, with reasons, from facts alone (no database).

Each rule looks at the facts of one request about one subject and either blocks it (a reason
that denies), narrows it (fields refused), or explains why it may go ahead. The rules compose
as all-of, and the policy fails closed: with no rules, or no rule that says why the sharing is
lawful, the answer is deny.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sharewell.register.terms import GatewayTerms


class Outcome(StrEnum):
    PERMIT = "permit"
    PARTIAL = "partial"
    DENY = "deny"


class ReasonCode(StrEnum):
    # Reasons that deny.
    NO_GATEWAY = "no_gateway"
    PURPOSE_NOT_PERMITTED = "purpose_not_permitted"
    AGREEMENT_NOT_ACTIVE = "agreement_not_active"
    RECIPIENT_NOT_PARTY = "recipient_not_party"
    CONSENT_REQUIRED = "consent_required"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    OBJECTION = "objection"
    SUBJECT_UNKNOWN = "subject_unknown"
    NO_FIELDS_RELEASED = "no_fields_released"
    # A reason that narrows.
    FIELD_NOT_IN_AGREEMENT = "field_not_in_agreement"
    # Reasons that explain a release.
    GATEWAY_APPLIES = "gateway_applies"
    CONSENT_GIVEN = "consent_given"
    OBJECTION_NOT_APPLICABLE = "objection_not_applicable"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    OBJECTED = "objected"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str  # plain English a citizen can read
    blocks: bool = False


# A gateway's facts are the register's terms for it, as they are.
GatewayFacts = GatewayTerms


@dataclass(frozen=True)
class AgreementFacts:
    id: str
    active: bool
    discloser: str
    recipients: frozenset[str]
    purposes: frozenset[str]
    fields: frozenset[str]  # "dataset.field"
    consent_required: bool
    gateways: tuple[GatewayFacts, ...]


@dataclass(frozen=True)
class RequestFacts:
    requester: str  # the organisation asking
    purpose: str
    fields: tuple[str, ...]  # "dataset.field", as asked
    agreement: AgreementFacts | None
    subject_known: bool
    consent: ConsentStatus | None  # what applies to this subject now
    consent_explanation: str = ""


@dataclass(frozen=True)
class PolicyDecision:
    outcome: Outcome
    released: tuple[str, ...]
    refused: tuple[str, ...]
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code.value for r in self.reasons)

    def explanation(self) -> str:
        return " ".join(r.message for r in self.reasons)


@dataclass
class _Working:
    facts: RequestFacts
    allowed: set[str] = field(default_factory=set)
    reasons: list[Reason] = field(default_factory=list)
    lawful: bool = False  # set only by a rule that finds a basis for the sharing

    def block(self, code: ReasonCode, message: str) -> None:
        self.reasons.append(Reason(code, message, blocks=True))

    def note(self, code: ReasonCode, message: str) -> None:
        self.reasons.append(Reason(code, message))

    @property
    def blocked(self) -> bool:
        return any(r.blocks for r in self.reasons)


Rule = Callable[[_Working], None]


def _agreement_in_force(work: _Working) -> None:
    agreement = work.facts.agreement
    if agreement is None:
        work.block(
            ReasonCode.NO_GATEWAY,
            "No information-sharing agreement lets this organisation have this information "
            "for this purpose, so nothing was shared.",
        )
    elif not agreement.active:
        work.block(
            ReasonCode.AGREEMENT_NOT_ACTIVE,
            f"The agreement {agreement.id} is not in force, so nothing was shared under it.",
        )


def _requester_is_party(work: _Working) -> None:
    agreement = work.facts.agreement
    if agreement is not None and work.facts.requester not in agreement.recipients:
        work.block(
            ReasonCode.RECIPIENT_NOT_PARTY,
            f"{work.facts.requester} is not a recipient under the agreement {agreement.id}.",
        )


def _purpose_permitted(work: _Working) -> None:
    agreement = work.facts.agreement
    if agreement is not None and work.facts.purpose not in agreement.purposes:
        work.block(
            ReasonCode.PURPOSE_NOT_PERMITTED,
            f"The agreement {agreement.id} does not allow sharing for this purpose "
            f"({work.facts.purpose}).",
        )


def _gateway_in_force(work: _Working) -> None:
    agreement = work.facts.agreement
    if agreement is None:
        return
    usable = [
        g
        for g in agreement.gateways
        if g.in_force
        and g.sharing_basis
        and (work.facts.purpose in g.purpose_codes or g.consent_required)
    ]
    if not usable:
        work.block(
            ReasonCode.NO_GATEWAY,
            "No law in force that the agreement cites covers this purpose, so nothing was shared.",
        )
        return
    work.lawful = True
    citations = "; ".join(g.citation for g in usable)
    work.note(ReasonCode.GATEWAY_APPLIES, f"The law that allows this: {citations}.")


def _fields_minimised(work: _Working) -> None:
    agreement = work.facts.agreement
    allowed = agreement.fields if agreement is not None else frozenset()
    asked = list(dict.fromkeys(work.facts.fields))
    work.allowed = {f for f in asked if f in allowed}
    refused = [f for f in asked if f not in allowed]
    if refused and agreement is not None:
        work.note(
            ReasonCode.FIELD_NOT_IN_AGREEMENT,
            f"These were asked for but the agreement does not include them, so they were not "
            f"shared: {', '.join(refused)}.",
        )
    if not work.allowed and agreement is not None:
        work.block(
            ReasonCode.NO_FIELDS_RELEASED,
            "None of the information asked for is covered by the agreement.",
        )


def _subject_known(work: _Working) -> None:
    # Whose records to look in is the agreement's discloser: with no agreement there is no
    # one to say has no record of the person, and saying so would be false.
    if work.facts.agreement is not None and not work.facts.subject_known:
        work.block(
            ReasonCode.SUBJECT_UNKNOWN,
            "The person asked about is not known to the body that holds the data.",
        )


def _consent_and_objection(work: _Working) -> None:
    agreement = work.facts.agreement
    if agreement is None:
        return
    consent = work.facts.consent
    why = f" {work.facts.consent_explanation}".rstrip()
    if agreement.consent_required:
        if consent is ConsentStatus.GRANTED:
            work.note(ReasonCode.CONSENT_GIVEN, f"The person has consented.{why}")
        elif consent is ConsentStatus.WITHDRAWN:
            work.block(
                ReasonCode.CONSENT_WITHDRAWN,
                f"The person withdrew their consent, so nothing was shared.{why}",
            )
        elif consent is ConsentStatus.OBJECTED:
            work.block(
                ReasonCode.OBJECTION, f"The person has objected, so nothing was shared.{why}"
            )
        else:
            work.block(
                ReasonCode.CONSENT_REQUIRED,
                "This sharing needs the person's consent, and they have not given it.",
            )
        return
    if consent is ConsentStatus.OBJECTED:
        gateways = [g for g in agreement.gateways if g.in_force and g.sharing_basis]
        if gateways and all(g.right_to_object for g in gateways):
            work.block(
                ReasonCode.OBJECTION,
                f"The person has objected, and the law relied on gives them the right to "
                f"object (UK GDPR Article 21), so nothing was shared.{why}",
            )
        else:
            work.note(
                ReasonCode.OBJECTION_NOT_APPLICABLE,
                "The person has objected, but the law relied on requires this sharing, so "
                "the objection does not stop it (there is no right to object to it).",
            )


DEFAULT_RULES: tuple[Rule, ...] = (
    _agreement_in_force,
    _requester_is_party,
    _purpose_permitted,
    _gateway_in_force,
    _fields_minimised,
    _subject_known,
    _consent_and_objection,
)


def decide(facts: RequestFacts, rules: Sequence[Rule] = DEFAULT_RULES) -> PolicyDecision:
    """Apply every rule (all-of). Deny unless some rule found a lawful basis and none blocked."""
    work = _Working(facts)
    for rule in rules:
        rule(work)
    if not work.lawful and not work.blocked:
        work.block(ReasonCode.NO_GATEWAY, "No rule found a lawful basis, so nothing was shared.")
    asked = tuple(dict.fromkeys(facts.fields))
    if work.blocked:
        return PolicyDecision(Outcome.DENY, (), asked, tuple(work.reasons))
    released = tuple(f for f in asked if f in work.allowed)
    refused = tuple(f for f in asked if f not in work.allowed)
    outcome = Outcome.PERMIT if not refused else Outcome.PARTIAL
    return PolicyDecision(outcome, released, refused, tuple(work.reasons))
