"""What each reason for a decision means, said once for each reader.

The broker records reasons as codes. People read them here: the resident the information is
about ("you") on their own pages, and staff ("the person") on the staff pages and reports. The
API keeps the broker's own detailed message for partner systems' developers.

A refusal never begins with what would have allowed the sharing: the reasons that explain a
release are said only about a decision that released something.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sharewell.broker.policy import ReasonCode


class Audience(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"


@dataclass(frozen=True)
class ReasonWords:
    resident: str
    staff: str

    def said_to(self, audience: Audience) -> str:
        return self.resident if audience is Audience.RESIDENT else self.staff


REASON_WORDS: dict[ReasonCode, ReasonWords] = {
    ReasonCode.NO_GATEWAY: ReasonWords(
        resident="No law or agreement allows the organisation that asked to have this "
        "information for this purpose, so nothing was shared.",
        staff="No agreement in force lets the organisation that asked have this information "
        "for this purpose, so nothing was shared.",
    ),
    ReasonCode.PURPOSE_NOT_PERMITTED: ReasonWords(
        resident="The agreement between the organisations does not cover what the information "
        "was wanted for, so nothing was shared.",
        staff="The agreement does not name the purpose asked for, so nothing was shared.",
    ),
    ReasonCode.AGREEMENT_NOT_ACTIVE: ReasonWords(
        resident="The agreement between the organisations was not in force at the time, so "
        "nothing was shared.",
        staff="The agreement was not in force (a draft, suspended or past its end date), so "
        "nothing was shared.",
    ),
    ReasonCode.RECIPIENT_NOT_PARTY: ReasonWords(
        resident="The organisation that asked is not part of the agreement, so nothing was shared.",
        staff="The organisation that asked is not one the agreement shares with, so nothing "
        "was shared.",
    ),
    ReasonCode.CONSENT_REQUIRED: ReasonWords(
        resident="This could only be shared with your consent, and you had not given it, so "
        "nothing was shared.",
        staff="The agreement needs the person's consent, and they had not given it, so "
        "nothing was shared.",
    ),
    ReasonCode.CONSENT_WITHDRAWN: ReasonWords(
        resident="You had withdrawn your consent, so nothing was shared.",
        staff="The person had withdrawn their consent, so nothing was shared.",
    ),
    ReasonCode.OBJECTION: ReasonWords(
        resident="You had objected to your information being used for this, so nothing was shared.",
        staff="The person had objected, and the law relied on lets them, so nothing was shared.",
    ),
    ReasonCode.SUBJECT_UNKNOWN: ReasonWords(
        resident="The organisation that holds this information had no record that matched "
        "you, so nothing was shared.",
        staff="The organisation that holds this information has no record that matches the "
        "person asked about, so nothing was shared.",
    ),
    ReasonCode.NO_FIELDS_RELEASED: ReasonWords(
        resident="None of the information asked for is covered by the agreement, so nothing "
        "was shared.",
        staff="None of the information asked for is covered by the agreement, so nothing was "
        "shared.",
    ),
    ReasonCode.FIELD_NOT_IN_AGREEMENT: ReasonWords(
        resident="Some of the information asked for is not covered by the agreement, so it "
        "was not shared.",
        staff="Some of the information asked for is not covered by the agreement, so it was "
        "not shared.",
    ),
    ReasonCode.GATEWAY_APPLIES: ReasonWords(
        resident="A law allows this information to be shared for this purpose.",
        staff="A law the agreement relies on allows this sharing for this purpose.",
    ),
    ReasonCode.CONSENT_GIVEN: ReasonWords(
        resident="You had given your consent.",
        staff="The person had given their consent.",
    ),
    ReasonCode.OBJECTION_NOT_APPLICABLE: ReasonWords(
        resident="You had objected, but the law requires this sharing, so your objection "
        "could not stop it.",
        staff="The person had objected, but the law relied on requires this sharing, so the "
        "objection could not stop it.",
    ),
}

# True only of a decision that released something.
EXPLAINS_A_RELEASE = frozenset(
    {ReasonCode.GATEWAY_APPLIES, ReasonCode.CONSENT_GIVEN, ReasonCode.OBJECTION_NOT_APPLICABLE}
)
NARROWS = frozenset({ReasonCode.FIELD_NOT_IN_AGREEMENT})

UNKNOWN_REASON = ReasonWords(
    resident="The reason was recorded in a way this page cannot show. Ask the organisation "
    "that asked for your information to explain it.",
    staff="The reason was recorded in a way this page cannot show.",
)


def _code(text: str) -> ReasonCode | None:
    try:
        return ReasonCode(text)
    except ValueError:
        return None


def explain(outcome: str, codes: Iterable[str], audience: Audience) -> tuple[str, ...]:
    """The reasons for a decision in the reader's words, in the order that tells it truly:
    what stopped it, then what narrowed it, then (only if something was shared) what allowed
    it. Each sentence once; a code this release does not know is never shown raw."""
    known = [_code(c) for c in dict.fromkeys(codes)]
    shared = outcome != "deny"
    stopping = [c for c in known if c is not None and c not in EXPLAINS_A_RELEASE | NARROWS]
    narrowing = [c for c in known if c in NARROWS]
    allowing = [c for c in known if c in EXPLAINS_A_RELEASE] if shared else []
    said = [REASON_WORDS[c].said_to(audience) for c in (*stopping, *narrowing, *allowing)]
    if None in known:
        said.append(UNKNOWN_REASON.said_to(audience))
    return tuple(said)


def meaning(code: str, audience: Audience) -> str:
    """One reason on its own (a report's row), in the reader's words."""
    known = _code(code)
    return (REASON_WORDS[known] if known is not None else UNKNOWN_REASON).said_to(audience)
