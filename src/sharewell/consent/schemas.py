"""The consent domain's boundary types: what a consent is about, and the state that applies.

Both are plain frozen values, not validated on construction: ``record_consent`` checks a
scope against the register and reports every problem at once, as the register's imports do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus, ScopeKind
from sharewell.register.vocabulary import PURPOSE_TITLES, Purpose


@dataclass(frozen=True)
class ConsentScope:
    """What a consent record is about: one agreement, or a purpose (exactly one of the two).

    ``recipient`` narrows it to one receiving organisation; None means every recipient.
    """

    agreement: str | None = None
    purpose: str | None = None
    recipient: str | None = None

    @classmethod
    def for_agreement(cls, agreement_id: str, *, recipient: str | None = None) -> ConsentScope:
        return cls(agreement=agreement_id, recipient=recipient)

    @classmethod
    def for_purpose(cls, purpose: Purpose | str, *, recipient: str | None = None) -> ConsentScope:
        return cls(purpose=str(purpose), recipient=recipient)


@dataclass(frozen=True)
class ConsentChange:
    """One consent record (a consent, withdrawal or objection), as other domains read it."""

    id: str
    subject_id: str
    agreement_id: str | None
    purpose: str | None
    recipient_id: str | None
    state: str
    recorded_at: dt.datetime
    captured_via: str
    captured_by_id: int | None
    wording: str | None
    wording_version: str | None
    expires_at: dt.datetime | None
    ledger_index: int


@dataclass(frozen=True)
class ConsentState:
    """The consent that applies to one request, and the record that decided it.

    ``status`` is None when no record applies (the person has never said, or their only
    grant has expired). ``lapsed`` is the newest grant that would have applied but had
    expired by then, so an explanation can say "your consent ran out on …".
    """

    status: ConsentStatus | None
    decided_by: ConsentChange | None = None
    lapsed: ConsentChange | None = None

    @property
    def granted(self) -> bool:
        return self.status == ConsentStatus.GRANTED

    @property
    def withdrawn(self) -> bool:
        return self.status == ConsentStatus.WITHDRAWN

    @property
    def objected(self) -> bool:
        return self.status == ConsentStatus.OBJECTED

    @property
    def scope_kind(self) -> ScopeKind | None:
        if self.decided_by is None:
            return None
        return ScopeKind.AGREEMENT if self.decided_by.agreement_id else ScopeKind.PURPOSE

    def explanation(self) -> str:
        """One plain-English sentence a citizen can read."""
        record = self.decided_by
        if record is None:
            if self.lapsed is not None and self.lapsed.expires_at is not None:
                return (
                    f"Your consent {_about(self.lapsed)} ran out on "
                    f"{_day(self.lapsed.expires_at)}, and you have not given it again."
                )
            return "You have not told us whether you agree to this."
        how = _HOW[CaptureMethod(record.captured_via)]
        when = _day(record.recorded_at)
        if record.state == ConsentStatus.GRANTED:
            until = f", until {_day(record.expires_at)}" if record.expires_at else ""
            return f"You gave consent {_about(record)} on {when} {how}{until}."
        if record.state == ConsentStatus.WITHDRAWN:
            return f"You withdrew your consent {_about(record)} on {when} {how}."
        return f"You objected to the use of your information {_about(record)} on {when} {how}."


_HOW: dict[CaptureMethod, str] = {
    CaptureMethod.PORTAL: "online",
    CaptureMethod.PAPER: "on a paper form",
    CaptureMethod.PHONE: "by phone",
    CaptureMethod.IN_PERSON: "in person",
    CaptureMethod.API: "through a partner organisation",
}


UK = ZoneInfo("Europe/London")


def _day(moment: dt.datetime) -> str:
    local = moment.astimezone(UK)  # the date the person saw, not the date in UTC
    return f"{local.day} {local:%B %Y}"


def _about(record: ConsentChange) -> str:
    if record.agreement_id:
        about = f"for the agreement '{record.agreement_id}'"
    else:
        purpose = Purpose(str(record.purpose))
        about = f"for {PURPOSE_TITLES[purpose][0].lower()}{PURPOSE_TITLES[purpose][1:]}"
    if record.recipient_id:
        about += f" by {record.recipient_id}"
    return about
