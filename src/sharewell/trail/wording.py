"""What each ledger reason means, said to the person the data is about."""

from __future__ import annotations

from sharewell.broker.policy import ReasonCode

# Addressed to the citizen ("you"); staff see the broker's own wording on their pages.
REASONS_FOR_CITIZENS: dict[str, str] = {
    ReasonCode.NO_GATEWAY: "No law allows this organisation to have this information for this "
    "purpose, so nothing was shared.",
    ReasonCode.PURPOSE_NOT_PERMITTED: "The agreement does not cover what the information was "
    "wanted for, so nothing was shared.",
    ReasonCode.AGREEMENT_NOT_ACTIVE: "The agreement was not in force at the time, so nothing "
    "was shared.",
    ReasonCode.RECIPIENT_NOT_PARTY: "The organisation that asked is not part of the agreement, "
    "so nothing was shared.",
    ReasonCode.CONSENT_REQUIRED: "This sharing needs your consent, and you had not given it, so "
    "nothing was shared.",
    ReasonCode.CONSENT_WITHDRAWN: "You had withdrawn your consent, so nothing was shared.",
    ReasonCode.OBJECTION: "You had objected to this use of your information, so nothing was "
    "shared.",
    ReasonCode.SUBJECT_UNKNOWN: "The council holds no record that matches you.",
    ReasonCode.NO_FIELDS_RELEASED: "None of the information asked for could be shared.",
    ReasonCode.FIELD_NOT_IN_AGREEMENT: "Some of what was asked for is not covered by the "
    "agreement, so it was not shared.",
    ReasonCode.GATEWAY_APPLIES: "A law allows this sharing for this purpose.",
    ReasonCode.CONSENT_GIVEN: "You had given your consent to this sharing.",
    ReasonCode.OBJECTION_NOT_APPLICABLE: "The law used here does not give a right to object, "
    "so an objection could not stop it.",
}

CONSENT_CHANGES: dict[str, str] = {
    "granted": "You gave your consent",
    "withdrawn": "You withdrew your consent",
    "objected": "You objected",
}

CAPTURED_VIA: dict[str, str] = {
    "portal": "here, in Sharewell",
    "paper": "on a paper form, recorded by council staff",
    "phone": "by telephone, recorded by council staff",
    "in_person": "in person, recorded by council staff",
    "api": "through a partner organisation's system",
}

OUTCOME_TAGS: dict[str, dict[str, str]] = {
    "permit": {"text": "Shared", "classes": "govuk-tag--green"},
    "partial": {"text": "Partly shared", "classes": "govuk-tag--yellow"},
    "deny": {"text": "Not shared", "classes": "govuk-tag--red"},
    "granted": {"text": "Consent given", "classes": "govuk-tag--blue"},
    "withdrawn": {"text": "Consent withdrawn", "classes": "govuk-tag--grey"},
    "objected": {"text": "Objection", "classes": "govuk-tag--purple"},
}


def reason_for_citizen(code: str) -> str:
    return REASONS_FOR_CITIZENS.get(code, code.replace("_", " ").capitalize() + ".")
