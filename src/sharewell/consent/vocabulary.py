"""The consent domain's controlled vocabularies, shared by tables, services and the export."""

from __future__ import annotations

from enum import StrEnum


class IdentifierScheme(StrEnum):
    """How the outside world names a subject."""

    NINO = "nino"  # a National Insurance number, normalised (no spaces, upper case)
    DATASET_RECORD = "dataset_record"  # "organisation/dataset/record_id" in the register


class ConsentStatus(StrEnum):
    """What one consent record says (27560 'event state')."""

    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    OBJECTED = "objected"


class CaptureMethod(StrEnum):
    """How a consent record was captured (27560 'expression method')."""

    PORTAL = "portal"  # the citizen, signed in to the citizen portal
    PAPER = "paper"  # a signed form, keyed in by staff
    PHONE = "phone"  # told to staff on the telephone
    IN_PERSON = "in_person"  # told to staff face to face
    API = "api"  # relayed by a partner system


# Methods where a member of staff took the choice down, so the record must name them.
STAFF_CAPTURED = frozenset({CaptureMethod.PAPER, CaptureMethod.PHONE, CaptureMethod.IN_PERSON})


class ScopeKind(StrEnum):
    """What a consent record is about: one agreement, or every use for a purpose."""

    AGREEMENT = "agreement"
    PURPOSE = "purpose"


# The W3C Data Privacy Vocabulary terms the export uses for each status and capture method.
DPV_STATUS: dict[ConsentStatus, str] = {
    ConsentStatus.GRANTED: "dpv:ConsentGiven",
    ConsentStatus.WITHDRAWN: "dpv:ConsentWithdrawn",
    # DPV has no status named for an objection: refusing consent is the closest, and the
    # export also names the right that was exercised.
    ConsentStatus.OBJECTED: "dpv:ConsentRefused",
}


def spaced_nino(nino: str) -> str:
    """A National Insurance number as people write it: ``QQ123456C`` → ``QQ 12 34 56 C``."""
    plain = nino.replace(" ", "").upper()
    if len(plain) != 9:
        return plain
    return f"{plain[:2]} {plain[2:4]} {plain[4:6]} {plain[6:8]} {plain[8]}"
