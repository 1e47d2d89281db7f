"""A citizen's trail: the ledger entries about them, read and explained, and proved.

The portal finds a person's entries through the broker's and the consent domain's own
records (which know the subject); the public ledger alone cannot, by design. That is why the
trail key exists: with it, the person can scan the whole public log and check that the portal
showed them everything (``sharewell verify trail``).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sharewell.broker import history as broker_history
from sharewell.broker.wording import Audience, explain
from sharewell.consent import services as consent
from sharewell.errors import NotFound
from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.entries import OpenedEntry, open_entry, trail_key_document
from sharewell.ledger.errors import LedgerError
from sharewell.ledger.note import Verifier
from sharewell.register.labels import GatewayLabel, Labels, labels_for
from sharewell.register.vocabulary import PURPOSE_TITLES, Purpose
from sharewell.trail.wording import CAPTURED_VIA, CONSENT_CHANGES, RECORDED_BY

CITIZEN_CAPTURE = "portal"


class EntryNotInYourTrail(NotFound):
    """Asked for an entry that is not about the signed-in person (or does not exist).

    Both say the same, so nobody can learn from the answer whether an entry is someone else's.
    """

    def __init__(self, index: int) -> None:
        super().__init__(
            f"There is no record {index} in your data.",
            hint="Go back to your data and choose a record from the list.",
        )


@dataclass(frozen=True)
class FieldShown:
    name: str  # "dataset.field"
    label: str


@dataclass(frozen=True)
class TrailEntry:
    """One ledger entry about the citizen, with everything the page says about it."""

    index: int
    time: dt.datetime
    kind: str  # "decision" or "consent"
    organisation_id: str
    organisation: str  # who asked (a decision) or who recorded the choice (a consent)
    purpose: str | None
    purpose_title: str
    outcome: str
    released: tuple[FieldShown, ...]
    refused: tuple[FieldShown, ...]
    reasons: tuple[str, ...]  # plain English, for the citizen
    reason_codes: tuple[str, ...]
    gateways: tuple[GatewayLabel, ...]
    agreement_id: str | None
    agreement_title: str | None
    discloser: str | None
    summary: str
    headline: str  # the record's page title


@dataclass(frozen=True)
class TrailFilters:
    organisation: str | None = None
    purpose: str | None = None
    outcome: str | None = None

    def keep(self, entry: TrailEntry) -> bool:
        return (
            (self.organisation is None or entry.organisation_id == self.organisation)
            and (self.purpose is None or entry.purpose == self.purpose)
            and (self.outcome is None or entry.outcome == self.outcome)
        )


@dataclass(frozen=True)
class Trail:
    entries: tuple[TrailEntry, ...]  # after the filters, newest first
    total: int  # before the filters
    organisations: tuple[tuple[str, str], ...]  # (id, name) of everyone in the whole trail
    purposes: tuple[tuple[str, str], ...]
    outcomes: tuple[str, ...]


def _indices(session: Session, subject_id: str) -> set[int]:
    return set(broker_history.ledger_indices_about(session, subject_id)) | set(
        consent.ledger_indices_about(session, subject_id)
    )


def _purpose_title(code: str | None) -> str:
    if code is None:
        return "Any purpose"
    try:
        return PURPOSE_TITLES[Purpose(code)]
    except ValueError:
        return code


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _text(facts: Mapping[str, Any], name: str) -> str | None:
    value = facts.get(name)
    return value if isinstance(value, str) else None


def _wanted_labels(opened: Sequence[OpenedEntry]) -> dict[str, Any]:
    organisations: set[str] = set()
    agreements: set[str] = set()
    gateways: set[str] = set()
    fields: set[tuple[str, str]] = set()
    for entry in opened:
        facts = entry.facts
        organisations.add(str(facts.get("organisation")))
        discloser = _text(facts, "discloser")
        if discloser is not None:
            organisations.add(discloser)
            for name in _strings(facts.get("released")) + _strings(facts.get("refused")):
                fields.add((discloser, name))
        agreement = _text(facts, "agreement")
        if agreement is not None:
            agreements.add(agreement)
        gateways.update(_strings(facts.get("gateways")))
    return {
        "organisations": organisations,
        "agreements": agreements,
        "gateways": gateways,
        "fields": fields,
    }


def _explain(index: int, opened: OpenedEntry, labels: Labels) -> TrailEntry:
    facts = opened.facts
    kind = opened.kind
    organisation_id = str(facts.get("organisation"))
    discloser = _text(facts, "discloser")
    agreement_id = _text(facts, "agreement")
    outcome = str(facts.get("outcome") or facts.get("state") or "")
    codes = tuple(_strings(facts.get("reasons")))
    purpose = _text(facts, "purpose")

    def shown(names: list[str]) -> tuple[FieldShown, ...]:
        return tuple(FieldShown(name, labels.field(discloser, name)) for name in names)

    agreement_title = labels.agreements.get(agreement_id) if agreement_id else None
    organisation = labels.organisation(organisation_id)
    if kind == "consent":
        headline = CONSENT_CHANGES.get(outcome, "You made a choice about sharing")
        if organisation_id == consent.OPERATOR:  # nobody's staff: the person, or a partner's system
            organisation = RECORDED_BY.get(str(facts.get("captured_via")), "Sharewell")
        about = f"the agreement “{agreement_title or agreement_id}”" if agreement_id else None
        about = about or f"“{_purpose_title(purpose)}”"
        how = CAPTURED_VIA.get(str(facts.get("captured_via")))
        summary = f"{CONSENT_CHANGES.get(outcome, outcome.capitalize())} for {about}"
        summary += f" ({how})." if how else "."
    else:
        headline = f"{organisation} asked for information about you"
        summary = headline + "."
    return TrailEntry(
        index=index,
        time=opened.time,
        kind=kind,
        organisation_id=organisation_id,
        organisation=organisation,
        purpose=purpose,
        purpose_title=_purpose_title(purpose)
        if purpose is not None or not _strings(facts.get("purposes"))
        else ", ".join(_purpose_title(p) for p in _strings(facts.get("purposes"))),
        outcome=outcome,
        released=shown(_strings(facts.get("released"))),
        refused=shown(_strings(facts.get("refused"))),
        reasons=explain(outcome, codes, Audience.RESIDENT),
        reason_codes=codes,
        gateways=tuple(
            labels.gateways[g] for g in _strings(facts.get("gateways")) if g in labels.gateways
        ),
        agreement_id=agreement_id,
        agreement_title=agreement_title,
        discloser=labels.organisation(discloser) if discloser else None,
        summary=summary,
        headline=headline,
    )


def _explained(session: Session, subject_id: str, indices: Sequence[int]) -> list[TrailEntry]:
    """The entries, opened with the person's trail keys (the sealed part says what happened)."""
    keys = consent.trail_keys(session, subject_id)
    stored = ledger.entries_at(session, indices)
    opened = {index: open_entry(data, keys) for index, data in stored.items()}
    readable = {index: entry for index, entry in opened.items() if entry is not None}
    labels = labels_for(session, **_wanted_labels(list(readable.values())))
    return [_explain(index, readable[index], labels) for index in indices if index in readable]


def trail_for(session: Session, subject_id: str, filters: TrailFilters | None = None) -> Trail:
    """Every ledger entry about this subject, newest first, and what to filter them by."""
    everything = _explained(
        session, subject_id, sorted(_indices(session, subject_id), reverse=True)
    )
    chosen = filters or TrailFilters()
    return Trail(
        entries=tuple(e for e in everything if chosen.keep(e)),
        total=len(everything),
        organisations=tuple(sorted({(e.organisation_id, e.organisation) for e in everything})),
        purposes=tuple(
            sorted({(e.purpose, e.purpose_title) for e in everything if e.purpose is not None})
        ),
        outcomes=tuple(sorted({e.outcome for e in everything})),
    )


def _require_own(session: Session, subject_id: str, index: int) -> None:
    if index not in _indices(session, subject_id):
        raise EntryNotInYourTrail(index)


def entry_for(session: Session, subject_id: str, index: int) -> TrailEntry:
    """One entry of this subject's trail; any other index is ``EntryNotInYourTrail``."""
    _require_own(session, subject_id, index)
    (entry,) = _explained(session, subject_id, [index])
    return entry


@dataclass(frozen=True)
class InclusionCheck:
    """What checking one entry against the latest signed checkpoint found."""

    index: int
    included: bool
    pending: bool  # not yet covered by a signed checkpoint: check again shortly
    checkpoint_size: int
    root_hash: str
    checkpoint_time: dt.datetime | None
    problem: str | None = None


def check_entry(
    session: Session, subject_id: str, index: int, verifier: Verifier
) -> InclusionCheck:
    """Verify, as any outsider would, that the entry is in the log the operator signed:
    the checkpoint's signature, then the inclusion proof from the entry to its root."""
    _require_own(session, subject_id, index)
    stored = ledger.latest_checkpoint(session)
    if stored is None or index >= stored.size:
        return InclusionCheck(
            index=index,
            included=False,
            pending=True,
            checkpoint_size=stored.size if stored else 0,
            root_hash=base64.b64encode(stored.root_hash).decode() if stored else "",
            checkpoint_time=stored.created_at if stored else None,
        )
    try:
        signed = SignedCheckpoint.from_text(stored.note, [verifier])
        proof = ledger.inclusion_proof(session, index, signed.size)
        entry = ledger.get_entry(session, index)
        merkle.verify_inclusion(
            index, signed.size, merkle.leaf_hash(entry), proof, signed.root_hash
        )
    except LedgerError as failed:
        problem: str | None = failed.message
    else:
        problem = None
    return InclusionCheck(
        index=index,
        included=problem is None,
        pending=False,
        checkpoint_size=stored.size,
        root_hash=base64.b64encode(stored.root_hash).decode(),
        checkpoint_time=stored.created_at,
        problem=problem,
    )


def proof_bundle(session: Session, subject_id: str, index: int, public_key: str) -> dict[str, Any]:
    """The entry, its inclusion proof, the signed checkpoint and the log's key: the file
    `sharewell verify inclusion` (or any RFC 9162 verifier) checks offline."""
    _require_own(session, subject_id, index)
    stored = ledger.latest_checkpoint(session)
    if stored is None or index >= stored.size:
        raise EntryNotYetCheckpointed(index)
    return ledger.inclusion_bundle(session, index, stored, public_key)


class EntryNotYetCheckpointed(NotFound):
    def __init__(self, index: int) -> None:
        super().__init__(
            f"Record {index} is not in a signed checkpoint yet.",
            hint="The log signs a new checkpoint every few seconds: try again in a minute.",
        )


def trail_key_file(session: Session, subject_id: str, log_origin: str) -> str:
    """The citizen's trail keys (every one they have had), as the file `sharewell verify trail
    --key` reads."""
    return trail_key_document(consent.trail_keys(session, subject_id), log_origin=log_origin)


def new_trail_key(session: Session, subject_id: str) -> None:
    """A new trail key for this person's entries from now on; the old ones stay in their key
    file, since the entries already written open only with them."""
    consent.rotate_trail_key(session, subject_id)


def opens_for(session: Session, subject_id: str, index: int) -> bool:
    """Whether the entry's public commitment opens under one of this subject's trail keys."""
    keys = consent.trail_keys(session, subject_id)
    return open_entry(ledger.get_entry(session, index), keys) is not None
