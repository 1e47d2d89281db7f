"""The consent domain's operations: subjects, consent records, the state that applies, export.

Every write validates its whole input first and runs in a savepoint of the caller's
transaction, together with its ledger entry: bad input changes nothing, and a consent record
never exists without the public entry that proves when it was made.

Which consent applies to a request (``current_consent``):

- a record counts from the moment it is recorded, for every decision after it;
- a grant stops counting when it expires; withdrawals and objections do not expire;
- within one scope, the latest record that counts decides (ties go to the earlier ledger
  entry, so the order is the order of recording);
- a record about the request's agreement outranks one about its purpose, with one exception
  that keeps the rule above: a withdrawal or objection for the purpose recorded *after* the
  agreement's record still applies. A refusal always reaches the very next decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sharewell.accounts.staff import StaffMember
from sharewell.consent.errors import (
    ConsentInputInvalid,
    IdentifierInvalid,
    IdentifierTaken,
    SubjectUnknown,
)
from sharewell.consent.models import ConsentRecord, RetiredTrailKey, Subject, SubjectIdentifier
from sharewell.consent.schemas import ConsentChange, ConsentScope, ConsentState
from sharewell.consent.vocabulary import (
    DPV_STATUS,
    STAFF_CAPTURED,
    CaptureMethod,
    ConsentStatus,
    IdentifierScheme,
    ScopeKind,
)
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import Leaf, new_trail_key
from sharewell.ledger.records import ChoiceRecorder, ConsentPublic, ConsentSealed, exact_time
from sharewell.register import services as register
from sharewell.register.dataset_import import NINO
from sharewell.register.errors import AgreementNotFound, OrganisationNotFound
from sharewell.register.schemas import Slug
from sharewell.register.terms import AgreementTerms
from sharewell.register.vocabulary import PURPOSE_TITLES, Purpose, Role

MAX_RECORD_ID = 100
MAX_WORDING = 20_000
# The organisation named on the ledger when no member of staff recorded the choice.
OPERATOR = "sharewell"


def _change(record: ConsentRecord) -> ConsentChange:
    return ConsentChange(
        id=record.id,
        subject_id=record.subject_id,
        agreement_id=record.agreement_id,
        purpose=record.purpose,
        recipient_id=record.recipient_id,
        state=record.state,
        recorded_at=record.recorded_at,
        captured_via=record.captured_via,
        captured_by_id=record.captured_by_id,
        wording=record.wording,
        wording_version=record.wording_version,
        expires_at=record.expires_at,
        ledger_index=record.ledger_index,
    )


_SLUG: TypeAdapter[str] = TypeAdapter(Slug)
_SCHEMES = ", ".join(s.value for s in IdentifierScheme)


# --------------------------------------------------------------------------- identifiers


def normalise_identifier(
    scheme: IdentifierScheme | str, value: str
) -> tuple[IdentifierScheme, str]:
    """The canonical form of an identifier, or ``IdentifierInvalid`` saying what is wrong.

    A National Insurance number loses its spaces and is upper-cased, then must pass the same
    check as a NINO column in a dataset import. A dataset record is
    ``organisation/dataset/record_id``: two register slugs (lower-cased) and the holder's own
    record id, kept as given apart from surrounding spaces.
    """
    try:
        known = IdentifierScheme(scheme)
    except ValueError:
        raise IdentifierInvalid(
            f"'{scheme}' is not a kind of identifier sharewell knows.",
            hint=f"Use one of: {_SCHEMES}.",
        ) from None
    if known == IdentifierScheme.NINO:
        return known, _nino(value)
    return known, _dataset_record(value)


def _nino(value: str) -> str:
    normalised = "".join(value.split()).upper()
    if not NINO.match(normalised):
        # The value is not repeated: even a mistyped NINO is personal data.
        raise IdentifierInvalid(
            "That is not a valid National Insurance number.",
            hint="It is two letters, six digits and A, B, C or D, like AB123456C.",
        )
    return normalised


def _dataset_record(value: str) -> str:
    parts = value.strip().split("/", 2)
    if len(parts) != 3:
        raise IdentifierInvalid(
            "A dataset record identifier has three parts separated by '/'.",
            hint="Write it as organisation/dataset/record_id, like "
            "northbridge/housing-benefit-claims/HB000123.",
        )
    organisation, dataset, record_id = (part.strip() for part in parts)
    problems = [
        f"the {label} '{part}' is not a register id (lower-case letters, digits and hyphens)"
        for label, part in (("organisation", organisation), ("dataset", dataset))
        if not _is_slug(part.lower())
    ]
    if not record_id:
        problems.append("the record id is empty")
    elif len(record_id) > MAX_RECORD_ID:
        problems.append(f"the record id is longer than {MAX_RECORD_ID} characters")
    elif not record_id.isprintable():
        problems.append("the record id contains control characters")
    if problems:
        raise IdentifierInvalid(
            "That is not a valid dataset record identifier.",
            hint="Write it as organisation/dataset/record_id.",
            problems=problems,
        )
    return f"{organisation.lower()}/{dataset.lower()}/{record_id}"


def _is_slug(value: str) -> bool:
    try:
        _SLUG.validate_python(value)
    except ValidationError:
        return False
    return True


def _describe_scheme(scheme: IdentifierScheme) -> str:
    if scheme == IdentifierScheme.NINO:
        return "that National Insurance number"
    return "that dataset record"


# --------------------------------------------------------------------------- subjects


def resolve_subject(
    session: Session, scheme: IdentifierScheme | str, value: str, *, create: bool = False
) -> Subject:
    """The subject an identifier names; with ``create``, a new subject if none does yet.

    A new subject gets a random id and a fresh trail key. Two writers creating the same
    subject at once both get the one that was stored first.
    """
    known, normalised = normalise_identifier(scheme, value)
    found = _find_subject(session, known, normalised)
    if found is not None:
        return found
    if not create:
        raise SubjectUnknown(
            f"No subject is known by {_describe_scheme(known)}.",
            hint="Check the identifier, or ask for the person to be added.",
        )
    try:
        with session.begin_nested():
            subject = Subject(trail_key=new_trail_key())
            session.add(subject)
            session.flush()
            session.add(SubjectIdentifier(subject=subject, scheme=known, value=normalised))
            session.flush()
    except IntegrityError:
        # Another transaction stored this identifier first: use its subject. Only that
        # explains a failed insert of a fresh subject, so look rather than read the error.
        found = _find_subject(session, known, normalised)
        if found is None:
            raise
        return found
    return subject


def add_identifier(
    session: Session, subject_id: str, scheme: IdentifierScheme | str, value: str
) -> SubjectIdentifier:
    """Record another identifier for a subject (a dataset record found to be them, say)."""
    subject = get_subject(session, subject_id)
    known, normalised = normalise_identifier(scheme, value)
    existing = _find_subject(session, known, normalised)
    if existing is not None:
        if existing.id == subject.id:
            return next(
                i for i in existing.identifiers if (i.scheme, i.value) == (known, normalised)
            )
        raise IdentifierTaken(
            f"{_describe_scheme(known).capitalize()} already names another subject.",
            hint="One identifier names one person; check the match before linking it.",
        )
    with session.begin_nested():
        identifier = SubjectIdentifier(subject=subject, scheme=known, value=normalised)
        session.add(identifier)
        session.flush()
    return identifier


def _find_subject(session: Session, scheme: IdentifierScheme, value: str) -> Subject | None:
    return session.scalar(
        select(Subject)
        .join(SubjectIdentifier)
        .where(SubjectIdentifier.scheme == scheme.value, SubjectIdentifier.value == value)
    )


@dataclass(frozen=True)
class SubjectKey:
    """A subject as a decision needs it: who (the id) and the key their ledger entries open with."""

    id: str
    trail_key: bytes


_SUBJECTS_BY_IDENTIFIER = (
    select(SubjectIdentifier.value, Subject.id, Subject.trail_key)
    .join(Subject, Subject.id == SubjectIdentifier.subject_id)
    .where(
        SubjectIdentifier.scheme == bindparam("scheme"),
        SubjectIdentifier.value.in_(bindparam("values", expanding=True)),
    )
)


def subjects_by_identifier(
    session: Session, identifiers: Iterable[tuple[IdentifierScheme, str]]
) -> dict[tuple[IdentifierScheme, str], SubjectKey]:
    """Many already-normalised identifiers at once (for a batch): those that name a subject,
    with their trail keys. Core rows, not ORM objects: a batch reads thousands."""
    wanted = set(identifiers)
    session.flush()  # subjects made earlier in this transaction count (Core skips autoflush)
    connection = session.connection()
    found: dict[tuple[IdentifierScheme, str], SubjectKey] = {}
    for scheme in {scheme for scheme, _ in wanted}:
        values = sorted(value for s, value in wanted if s == scheme)
        for start in range(0, len(values), 500):
            rows = connection.execute(
                _SUBJECTS_BY_IDENTIFIER,
                {"scheme": scheme.value, "values": values[start : start + 500]},
            )
            for value, subject_id, trail_key in rows:
                found[(scheme, value)] = SubjectKey(subject_id, bytes(trail_key))
    return found


def consent_histories(
    session: Session, subject_ids: Iterable[str]
) -> dict[str, list[ConsentChange]]:
    """``consent_history`` for many subjects in one pass (for a batch of decisions)."""
    ids = list(set(subject_ids))
    histories: dict[str, list[ConsentChange]] = {subject_id: [] for subject_id in ids}
    for start in range(0, len(ids), 500):
        for record in session.scalars(
            select(ConsentRecord).where(ConsentRecord.subject_id.in_(ids[start : start + 500]))
        ):
            histories[record.subject_id].append(_change(record))
    return {subject_id: sorted(records, key=_order) for subject_id, records in histories.items()}


def get_subject(session: Session, subject_id: str) -> Subject:
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise SubjectUnknown(f"There is no subject with id '{subject_id}'.")
    return subject


def trail_key(session: Session, subject_id: str) -> bytes:
    """The key new ledger entries about this subject are written under (theirs and the
    operator's only)."""
    return get_subject(session, subject_id).trail_key


def trail_keys(session: Session, subject_id: str) -> tuple[bytes, ...]:
    """Every trail key this subject has had, newest first: together they open every entry
    about them, whenever it was written."""
    retired = session.scalars(
        select(RetiredTrailKey.trail_key)
        .where(RetiredTrailKey.subject_id == subject_id)
        .order_by(RetiredTrailKey.id.desc())
    ).all()
    return (trail_key(session, subject_id), *(bytes(key) for key in retired))


def rotate_trail_key(session: Session, subject_id: str) -> None:
    """Give the subject a new trail key for entries from now on (say, after they shared the
    old one). The old key is kept: entries already written open only with it."""
    subject = get_subject(session, subject_id)
    with session.begin_nested():
        session.add(RetiredTrailKey(subject_id=subject.id, trail_key=subject.trail_key))
        subject.trail_key = new_trail_key()
        session.flush()


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class _Checked:
    """A consent record's input after validation: everything needed to write it."""

    status: ConsentStatus
    method: CaptureMethod
    kind: ScopeKind
    agreement: AgreementTerms | None
    purpose: Purpose | None
    recipient: str | None
    wording: str | None
    recorded_at: dt.datetime
    expires_at: dt.datetime | None


def record_consent(
    session: Session,
    *,
    subject_id: str,
    scope: ConsentScope,
    state: ConsentStatus | str,
    captured_via: CaptureMethod | str,
    captured_by: StaffMember | None = None,
    wording: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> ConsentChange:
    """Record a consent, withdrawal or objection, and put it on the ledger.

    ``wording`` is the text the person was shown (required to grant consent). ``now`` is
    when it was recorded; by default the database's clock. Raises ``SubjectUnknown`` or
    ``ConsentInputInvalid`` (listing every problem) before writing anything.
    """
    subject = get_subject(session, subject_id)
    checked = _check(session, scope, state, captured_via, captured_by, wording, expires_at, now)
    version = _wording_version(checked.wording) if checked.wording is not None else None
    with session.begin_nested():
        (index,) = ledger.append_leaves(session, [_leaf(subject, checked, captured_by, version)])
        record = ConsentRecord(
            subject_id=subject.id,
            agreement_id=checked.agreement.id if checked.agreement else None,
            purpose=checked.purpose.value if checked.purpose else None,
            recipient_id=checked.recipient,
            state=checked.status.value,
            recorded_at=checked.recorded_at,
            captured_via=checked.method.value,
            captured_by_id=captured_by.id if captured_by else None,
            wording=checked.wording,
            wording_version=version,
            expires_at=checked.expires_at,
            ledger_index=index,
        )
        session.add(record)
        session.flush()
    return _change(record)


def _check(
    session: Session,
    scope: ConsentScope,
    state: ConsentStatus | str,
    captured_via: CaptureMethod | str,
    captured_by: StaffMember | None,
    wording: str | None,
    expires_at: dt.datetime | None,
    now: dt.datetime | None,
) -> _Checked:
    problems: list[str] = []
    status = _member(ConsentStatus, state, "state", problems)
    method = _member(CaptureMethod, captured_via, "captured_via", problems)
    kind, agreement, purpose = _check_scope(session, scope, problems)
    recipient = _check_recipient(session, scope.recipient, agreement, problems)

    if method in STAFF_CAPTURED and captured_by is None:
        problems.append(
            f"captured_by: a choice taken {method.value.replace('_', ' ')} must name the "
            "member of staff who recorded it"
        )
    if method == CaptureMethod.PORTAL and captured_by is not None:
        problems.append(
            "captured_by: 'portal' is the person's own action; staff recording a choice "
            "should say whether it came on paper, by phone or in person"
        )

    if wording is not None:
        wording = wording.strip()
        if len(wording) > MAX_WORDING:
            problems.append(f"wording: is longer than {MAX_WORDING} characters")
    if status == ConsentStatus.GRANTED and not wording:
        problems.append("wording: consent can only be granted with the wording the person saw")

    if now is not None and now.tzinfo is None:
        problems.append("now: must include a timezone")
        now = None
    recorded_at = now.astimezone(dt.UTC) if now is not None else _database_now(session)
    if expires_at is not None:
        if status is not None and status != ConsentStatus.GRANTED:
            problems.append(
                f"expires_at: only a grant can expire; a {status.value} choice stands "
                "until the person changes it"
            )
        elif expires_at.tzinfo is None:
            problems.append("expires_at: must include a timezone")
        elif expires_at <= recorded_at:
            problems.append(
                f"expires_at: {expires_at.isoformat()} is not after the time of recording "
                f"({recorded_at.isoformat(timespec='seconds')})"
            )

    if problems or status is None or method is None or kind is None:
        raise ConsentInputInvalid(
            "The consent was not recorded.",
            problems=problems,
            hint="Nothing was written; correct these and try again.",
        )
    return _Checked(
        status=status,
        method=method,
        kind=kind,
        agreement=agreement,
        purpose=purpose,
        recipient=recipient,
        wording=wording or None,
        recorded_at=recorded_at,
        expires_at=expires_at.astimezone(dt.UTC) if expires_at else None,
    )


_Choice = TypeVar("_Choice", ConsentStatus, CaptureMethod)


def _member(enum: type[_Choice], value: str, name: str, problems: list[str]) -> _Choice | None:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        problems.append(f"{name}: '{value}' is not one of {allowed}")
        return None


def _terms_of(session: Session, agreement_id: str) -> AgreementTerms:
    found = register.agreement_terms(session, [agreement_id]).get(agreement_id)
    if found is None:
        raise AgreementNotFound(agreement_id)
    return found


def _check_scope(
    session: Session, scope: ConsentScope, problems: list[str]
) -> tuple[ScopeKind | None, AgreementTerms | None, Purpose | None]:
    if (scope.agreement is None) == (scope.purpose is None):
        problems.append("scope: name either an agreement or a purpose (exactly one)")
        return None, None, None
    if scope.agreement is not None:
        try:
            return ScopeKind.AGREEMENT, _terms_of(session, scope.agreement), None
        except AgreementNotFound:
            problems.append(f"scope.agreement: there is no agreement '{scope.agreement}'")
            return ScopeKind.AGREEMENT, None, None
    try:
        return ScopeKind.PURPOSE, None, Purpose(str(scope.purpose))
    except ValueError:
        codes = ", ".join(p.value for p in Purpose)
        problems.append(f"scope.purpose: '{scope.purpose}' is not a purpose code ({codes})")
        return ScopeKind.PURPOSE, None, None


def _check_recipient(
    session: Session, recipient: str | None, agreement: AgreementTerms | None, problems: list[str]
) -> str | None:
    if recipient is None:
        return None
    try:
        register.get_organisation(session, recipient)
    except OrganisationNotFound:
        problems.append(f"scope.recipient: there is no organisation '{recipient}'")
        return None
    if agreement is not None:
        parties = sorted(agreement.recipients)
        if recipient not in parties:
            problems.append(
                f"scope.recipient: {recipient} does not receive data under "
                f"'{agreement.id}' (its recipients: {', '.join(parties)})"
            )
    return recipient


def _database_now(session: Session) -> dt.datetime:
    """The database's clock: one clock orders every writer's records."""
    if session.get_bind().dialect.name == "sqlite":
        # CURRENT_TIMESTAMP has whole seconds; this has milliseconds (both UTC).
        stamp = session.scalar(select(func.strftime("%Y-%m-%d %H:%M:%f", "now")))
        return dt.datetime.fromisoformat(str(stamp)).replace(tzinfo=dt.UTC)
    moment = session.scalar(select(func.now()))
    if not isinstance(moment, dt.datetime):  # pragma: no cover - PostgreSQL returns one
        raise TypeError("the database did not return a time for now()")
    return moment.astimezone(dt.UTC)


def _wording_version(wording: str) -> str:
    """A digest naming the exact wording shown: the ledger can carry it, the text it cannot."""
    return "sha256:" + hashlib.sha256(wording.encode("utf-8")).hexdigest()


def _leaf(
    subject: Subject, checked: _Checked, captured_by: StaffMember | None, version: str | None
) -> Leaf:
    """The public log says only that a choice was recorded; what was chosen, for what and how
    is sealed for the person."""
    by: Role | ChoiceRecorder
    if captured_by is not None:
        organisation, by = captured_by.organisation_id, Role(captured_by.role)
    else:
        organisation = OPERATOR
        by = (
            ChoiceRecorder.SUBJECT
            if checked.method == CaptureMethod.PORTAL
            else ChoiceRecorder.PARTNER_SYSTEM
        )
    agreement = checked.agreement
    sealed = ConsentSealed(
        time=exact_time(checked.recorded_at),
        organisation=organisation,
        scope=checked.kind,
        agreement=agreement.id if agreement else None,
        purpose=checked.purpose,
        purposes=tuple(sorted(agreement.purposes)) if agreement else (),
        recipient=checked.recipient,
        state=checked.status,
        captured_via=checked.method,
        by_role=by,
        wording_version=version,
        expires=exact_time(checked.expires_at) if checked.expires_at else None,
    )
    return Leaf(
        public=ConsentPublic(),
        time=checked.recorded_at,
        sealed=sealed,
        subject_key=subject.trail_key,
    )


# --------------------------------------------------------------------------- deciding


def consent_history(session: Session, subject_id: str) -> list[ConsentChange]:
    """Every consent record about a subject, oldest first, in the order they were recorded."""
    get_subject(session, subject_id)
    records = session.scalars(
        select(ConsentRecord).where(ConsentRecord.subject_id == subject_id)
    ).all()
    return sorted((_change(r) for r in records), key=_order)


def current_consent(
    session: Session,
    subject_id: str,
    *,
    agreement_id: str | None,
    purpose: Purpose | str,
    recipient: str | None = None,
    at: dt.datetime | None = None,
) -> ConsentState:
    """The consent that applies to a request under ``agreement_id`` for ``purpose``.

    ``recipient`` is the organisation that would receive the data: records narrowed to
    another recipient do not apply. ``at`` asks about a past moment; by default the answer
    counts every record committed so far, so a withdrawal applies to the very next decision
    whatever the clocks say.
    """
    problems = []
    if at is not None and at.tzinfo is None:
        problems.append("at: must include a timezone")
    if purpose not in set(Purpose):
        problems.append(f"purpose: '{purpose}' is not a purpose code")
    if problems:
        raise ConsentInputInvalid("The consent that applies could not be found.", problems=problems)
    return decide(
        consent_history(session, subject_id),
        agreement_id=agreement_id,
        purpose=Purpose(purpose).value,
        recipient=recipient,
        at=at,
    )


def decide(
    records: Iterable[ConsentChange],
    *,
    agreement_id: str | None,
    purpose: str,
    recipient: str | None,
    at: dt.datetime | None,
) -> ConsentState:
    """The rule of the module docstring, over one subject's records (in any order)."""
    moment = at if at is not None else dt.datetime.now(dt.UTC)
    visible = sorted(
        (
            r
            for r in records
            if (at is None or r.recorded_at <= at)
            and (r.recipient_id is None or r.recipient_id == recipient)
        ),
        key=_order,
    )
    by_agreement = [
        r for r in visible if agreement_id is not None and r.agreement_id == agreement_id
    ]
    by_purpose = [r for r in visible if r.agreement_id is None and r.purpose == purpose]
    chosen = _outrank(_latest_standing(by_agreement, moment), _latest_standing(by_purpose, moment))
    # What would have decided had nothing expired: if that is a lapsed grant, say so.
    unexpired = _outrank(
        by_agreement[-1] if by_agreement else None, by_purpose[-1] if by_purpose else None
    )
    lapsed = unexpired if unexpired is not None and _expired(unexpired, moment) else None
    return ConsentState(
        status=ConsentStatus(chosen.state) if chosen is not None else None,
        decided_by=chosen,
        lapsed=lapsed,
    )


def _order(record: ConsentChange) -> tuple[dt.datetime, int]:
    return record.recorded_at, record.ledger_index


def _expired(record: ConsentChange, moment: dt.datetime) -> bool:
    return record.expires_at is not None and record.expires_at <= moment


def _latest_standing(records: Sequence[ConsentChange], moment: dt.datetime) -> ConsentChange | None:
    standing = [r for r in records if not _expired(r, moment)]
    return standing[-1] if standing else None


def _outrank(
    by_agreement: ConsentChange | None, by_purpose: ConsentChange | None
) -> ConsentChange | None:
    if by_agreement is None or by_purpose is None:
        return by_agreement or by_purpose
    refusal_since = by_purpose.state != ConsentStatus.GRANTED and _order(by_purpose) > _order(
        by_agreement
    )
    return by_purpose if refusal_since else by_agreement


# --------------------------------------------------------------------------- export

DPV_CONTEXT: list[Any] = [
    "https://w3id.org/dpv",
    {
        "dpv": "https://w3id.org/dpv#",
        "dct": "http://purl.org/dc/terms/",
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    },
]
DPV_27560_RECORD = "https://w3id.org/dpv/schema/dpv-27560#record"

_INDICATION: dict[CaptureMethod, str] = {
    CaptureMethod.PORTAL: "Chosen by the person in the sharewell citizen portal",
    CaptureMethod.PAPER: "Signed on a paper form, recorded by council staff",
    CaptureMethod.PHONE: "Told to council staff by telephone",
    CaptureMethod.IN_PERSON: "Told to council staff in person",
    CaptureMethod.API: "Relayed by a partner organisation's system",
}


def export_dpv(
    session: Session, subject_id: str, *, at: dt.datetime | None = None
) -> dict[str, Any]:
    """The subject's consent records as JSON-LD, in W3C DPV terms (the DPV-27560 profile).

    A JSON-LD ``@graph`` of one ``dpv:ConsentRecord`` per record, oldest first; the comments
    beside each key name the ISO/IEC TS 27560 field it carries. A grant that has run out by
    ``at`` (default now) also shows a ``dpv:ConsentExpired`` event at its expiry time.
    """
    moment = at or dt.datetime.now(dt.UTC)
    history = consent_history(session, subject_id)
    agreements = register.agreement_terms(
        session, [r.agreement_id for r in history if r.agreement_id is not None]
    )
    records = []
    for record in history:
        records.append(_dpv_record(record, agreements.get(record.agreement_id or ""), moment))
    return {"@context": DPV_CONTEXT, "@graph": records}


def _dpv_record(
    record: ConsentChange, agreement: AgreementTerms | None, moment: dt.datetime
) -> dict[str, Any]:
    status = ConsentStatus(record.state)
    process: dict[str, Any] = {"@type": "dpv:Process"}  # 27560 'pii processing'
    if agreement is not None:
        process["dct:identifier"] = agreement.id
        process["dct:title"] = agreement.title
        process["dpv:hasPurpose"] = [_dpv_purpose(p) for p in sorted(agreement.purposes)]
        process["dpv:hasDataController"] = _dpv_organisation(agreement.discloser)
        process["dpv:hasRecipient"] = [_dpv_organisation(r) for r in sorted(agreement.recipients)]
    else:
        process["dpv:hasPurpose"] = _dpv_purpose(str(record.purpose))
    if record.recipient_id is not None:
        process["dpv:hasRecipient"] = _dpv_organisation(record.recipient_id)
    if status == ConsentStatus.OBJECTED:
        process["dpv:hasRight"] = {
            "@type": "dpv:DataSubjectRight",
            "dct:title": "Right to object (UK GDPR Article 21)",
        }
    else:
        process["dpv:hasLegalBasis"] = {"@id": "dpv:ExpressedConsent"}  # 27560 'event type'

    events = [
        {
            "@type": DPV_STATUS[status],  # 27560 'event state'
            "dpv:isIndicatedAtTime": _datetime_literal(record.recorded_at),  # 'event time'
            "dpv:isIndicatedBy": {"@id": "dpv:DataSubject"},  # 'entity id': the person chose
            "dpv:hasIndicationMethod": _INDICATION[CaptureMethod(record.captured_via)],
            "dpv:hasDuration": _dpv_duration(record),  # 'validity duration'
        }
    ]
    if record.expires_at is not None and record.expires_at <= moment:
        events.append(
            {
                "@type": "dpv:ConsentExpired",
                "dpv:isIndicatedAtTime": _datetime_literal(record.expires_at),
            }
        )
    document: dict[str, Any] = {
        "@id": f"urn:uuid:{record.id}",
        "@type": "dpv:ConsentRecord",
        "dct:conformsTo": {"@id": DPV_27560_RECORD},  # 27560 'schema version'
        "dct:identifier": record.id,  # 'record id'
        "dpv:hasDataSubject": {  # 27560 'pii principal id'
            "@id": f"urn:uuid:{record.subject_id}",
            "@type": "dpv:DataSubject",
        },
        "dct:created": _datetime_literal(record.recorded_at),
        "dpv:hasProcess": process,
        "dpv:hasConsentStatus": events,
        "dct:provenance": f"sharewell transparency log, entry {record.ledger_index}",
    }
    if record.wording is not None:
        document["dpv:hasNotice"] = {  # 27560 'privacy notice' and its 'language'
            "@type": "dpv:ConsentNotice",
            "dct:identifier": record.wording_version,
            "dct:description": record.wording,
            "dct:language": "en",
        }
    return document


def _dpv_purpose(code: str) -> dict[str, Any]:
    purpose = Purpose(code)
    return {
        "@type": "dpv:Purpose",
        "dct:identifier": purpose.value,
        "dct:description": PURPOSE_TITLES[purpose],
    }


def _dpv_organisation(organisation_id: str) -> dict[str, Any]:
    return {"@type": "dpv:Organisation", "dct:identifier": organisation_id}


def _dpv_duration(record: ConsentChange) -> dict[str, Any]:
    if record.expires_at is not None:
        return {"@type": "dpv:UntilTimeDuration", "rdf:value": _datetime_literal(record.expires_at)}
    return {
        "@type": "dpv:UntilEventDuration",
        "rdf:value": "Until the person records a different choice",
    }


def _datetime_literal(moment: dt.datetime) -> dict[str, str]:
    return {"@value": exact_time(moment), "@type": "xsd:dateTime"}


def ledger_indices_about(session: Session, subject_id: str) -> list[int]:
    """The ledger entries recording this subject's consents, withdrawals and objections."""
    return list(
        session.scalars(
            select(ConsentRecord.ledger_index).where(ConsentRecord.subject_id == subject_id)
        )
    )
