"""How a resident's own trail speaks of consent changes and outcomes (the reasons for a
decision are said in ``broker.wording``, for every audience)."""

from __future__ import annotations

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

# Who recorded a choice that no organisation's staff took down.
RECORDED_BY: dict[str, str] = {
    "portal": "You, online",
    "api": "A partner organisation's system",
}

OUTCOME_TAGS: dict[str, dict[str, str]] = {
    "permit": {"text": "Shared", "classes": "govuk-tag--green"},
    "partial": {"text": "Partly shared", "classes": "govuk-tag--yellow"},
    "deny": {"text": "Not shared", "classes": "govuk-tag--red"},
    "granted": {"text": "Consent given", "classes": "govuk-tag--blue"},
    "withdrawn": {"text": "Consent withdrawn", "classes": "govuk-tag--grey"},
    "objected": {"text": "Objection", "classes": "govuk-tag--purple"},
}
