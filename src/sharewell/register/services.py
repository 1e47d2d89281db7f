"""The register's operations: import, export, copy as a template, lifecycle, the public view.

Every write validates the whole input first and runs in a savepoint of the caller's
transaction, so bad input changes nothing even when the caller goes on to commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from sharewell import strict_yaml
from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.staff import StaffMember
from sharewell.ledger import services as ledger
from sharewell.ledger.entries import Leaf
from sharewell.ledger.records import AgreementPublic, SystemActor
from sharewell.register.catalogue import load_catalogue
from sharewell.register.errors import (
    AgreementNotFound,
    GatewayNotFound,
    LifecycleNotPermitted,
    LifecycleTransitionInvalid,
    OrganisationNotFound,
    RegisterInputInvalid,
)
from sharewell.register.models import (
    Agreement,
    AgreementField,
    AgreementGateway,
    AgreementPurpose,
    AgreementRecipient,
    AgreementStatusEvent,
    Dataset,
    DatasetField,
    DatasetRecord,
    Gateway,
    Organisation,
)
from sharewell.register.schemas import (
    AgreementDatasetDocument,
    AgreementDocument,
    DatasetDocument,
    Document,
    FieldDocument,
    OrganisationDocument,
    PublicAgreement,
    PublicDatasetFields,
    PublicGateway,
    PublicOrganisation,
    PublicPurpose,
    PurposeDocument,
    StaffDocument,
)
from sharewell.register.terms import AgreementTerms, DatasetRef, GatewayTerms, status_on
from sharewell.register.vocabulary import (
    ALLOWED_TRANSITIONS,
    PURPOSE_TITLES,
    SHARING_BASIS_KINDS,
    AgreementStatus,
    FieldType,
    GatewayKind,
    GatewayStatus,
    OrganisationKind,
    Purpose,
    Role,
    Sensitivity,
)

MAX_PROBLEMS_SHOWN = 50


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def prepare_register(
    session: Session, *, today: dt.date | None = None
) -> tuple[int, int, list[str]]:
    """Keep the catalogue in step with this release and expire lapsed agreements."""
    gateways, rules = load_catalogue(session)
    return gateways, rules, expire_lapsed(session, today=today)


# --------------------------------------------------------------------------- parsing


def parse_documents(text: str, *, source: str = "input") -> list[Document]:
    """Read one YAML file of register documents; every problem is reported, none is written."""
    try:
        raw_documents = strict_yaml.load_all(text)
    except strict_yaml.YamlRefused as refused:
        where = f" at line {refused.line}" if refused.line else ""
        raise RegisterInputInvalid(
            f"{source} cannot be read{where}: {refused.problem}.",
            hint="Fix the YAML and try again. Nothing was imported.",
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RegisterInputInvalid(
            f"{source} is not valid YAML{where}: {error.problem}.",
            hint="Fix the YAML syntax (indentation, a missing colon or quote) and try again.",
        ) from None
    except yaml.YAMLError as error:
        raise RegisterInputInvalid(f"{source} is not valid YAML: {error}.") from None

    items: list[Any] = []
    for raw in raw_documents:
        items.extend(raw if isinstance(raw, list) else [raw])
    if not items:
        raise RegisterInputInvalid(f"{source} contains no documents.")

    adapter: TypeAdapter[Document] = TypeAdapter(Document)
    documents: list[Document] = []
    problems: list[str] = []
    for number, item in enumerate(items, start=1):
        label = _label(number, item)
        if not isinstance(item, dict) or "sharewell" not in item:
            problems.append(
                f"{label}: it has no `sharewell:` key; begin each document with "
                "`sharewell: agreement/v1` or `sharewell: organisation/v1`"
            )
            continue
        try:
            documents.append(adapter.validate_python(item))
        except ValidationError as error:
            problems.extend(f"{label}: {_describe(e)}" for e in error.errors())

    seen: set[tuple[str, str]] = set()
    for document in documents:
        key = (document.sharewell, document.id)
        if key in seen:
            problems.append(f"{document.sharewell} '{document.id}' appears more than once")
        seen.add(key)
    _raise_if(problems, source)
    return documents


def _label(number: int, item: Any) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return f"document {number} ({item.get('sharewell', '?')} '{item['id']}')"
    return f"document {number}"


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"] if not str(part).endswith("/v1"))
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "is not a field of this document (check the spelling)"
    elif error["type"] == "union_tag_invalid":
        message = "`sharewell:` must be `agreement/v1` or `organisation/v1`"
    return f"{location}: {message}" if location else message


def _raise_if(problems: list[str], source: str) -> None:
    if not problems:
        return
    shown = problems[:MAX_PROBLEMS_SHOWN]
    if len(problems) > len(shown):
        shown.append(f"… and {len(problems) - len(shown)} more")
    raise RegisterInputInvalid(
        f"{source}: {len(problems)} problem{'s' if len(problems) > 1 else ''} found; "
        "nothing was imported.",
        problems=shown,
        hint="Fix every problem listed and import the file again.",
    )


# --------------------------------------------------------------------------- importing


def import_documents(
    session: Session, text: str, *, source: str = "input", update: bool = False
) -> ImportReport:
    """Validate then store organisations and agreements, all or nothing.

    An identical document is left alone (so importing twice is harmless). A different one with
    an existing id is refused unless ``update`` is set; only draft agreements can be replaced.
    """
    return apply_documents(session, parse_documents(text, source=source), source, update=update)


def apply_documents(
    session: Session, documents: Sequence[Document], source: str, *, update: bool = False
) -> ImportReport:
    report = ImportReport()
    problems: list[str] = []
    with session.begin_nested() as savepoint:
        for document in documents:
            if isinstance(document, OrganisationDocument):
                _apply_organisation(session, document, update, report, problems)
        session.flush()
        for document in documents:
            if isinstance(document, AgreementDocument):
                _apply_agreement(session, document, update, report, problems)
        if problems:
            savepoint.rollback()
        else:
            session.flush()
    _raise_if(problems, source)
    return report


def _apply_organisation(
    session: Session,
    document: OrganisationDocument,
    update: bool,
    report: ImportReport,
    problems: list[str],
) -> None:
    label = f"organisation '{document.id}'"
    organisation = session.get(Organisation, document.id)
    if organisation is not None:
        staff = staff_accounts.staff_of(session, organisation.id)
        if organisation_document(organisation, staff) == _canonical_organisation(document):
            report.unchanged.append(label)
            return
        if not update:
            problems.append(
                f"{label} already exists with different details; "
                "import with --update to change it, or choose another id"
            )
            return
    emails = [staff.email for staff in document.staff]
    taken = [
        f"{label}: staff email {email} already belongs to {holder}"
        for email, holder in sorted(staff_accounts.organisations_holding(session, emails).items())
        if holder != document.id
    ]
    if taken:
        problems.extend(taken)
        return
    if organisation is None:
        organisation = Organisation(id=document.id, name=document.name, kind=document.kind.value)
        session.add(organisation)
        report.created.append(label)
    else:
        report.updated.append(label)
    organisation.name = document.name
    organisation.kind = document.kind.value
    _merge_datasets(session, organisation, document.datasets, problems)
    session.flush()  # the organisation exists before its staff point at it
    staff_accounts.merge(session, organisation.id, document.staff)


def _canonical_organisation(document: OrganisationDocument) -> OrganisationDocument:
    """Datasets by key and staff by email: the order the register keeps and exports them in."""
    return document.model_copy(
        update={
            "datasets": sorted(document.datasets, key=lambda d: d.key),
            "staff": sorted(document.staff, key=lambda s: s.email),
        }
    )


def _merge_datasets(
    session: Session,
    organisation: Organisation,
    datasets: Sequence[DatasetDocument],
    problems: list[str],
) -> None:
    """Add and change datasets and fields; never drop one, since agreements may name it."""
    existing = {d.key: d for d in organisation.datasets}
    for incoming in datasets:
        dataset = existing.get(incoming.key)
        if dataset is None:
            dataset = Dataset(organisation=organisation, key=incoming.key)
            session.add(dataset)
        dataset.title = incoming.title
        dataset.description = incoming.description
        fields = {f.name: f for f in dataset.fields}
        for position, field_document in enumerate(incoming.fields):
            stored = fields.get(field_document.name)
            if stored is None:
                stored = DatasetField(name=field_document.name)
                dataset.fields.append(stored)
            stored.title = field_document.title
            stored.type = field_document.type.value
            stored.sensitivity = field_document.sensitivity.value
            stored.required = field_document.required
            stored.position = position
        dropped = set(fields) - {f.name for f in incoming.fields}
        if dropped:
            problems.append(
                f"organisation '{organisation.id}': dataset '{incoming.key}' no longer lists "
                f"{', '.join(sorted(dropped))}; fields cannot be removed from the register"
            )


@dataclass(frozen=True)
class _ResolvedAgreement:
    document: AgreementDocument  # canonical: sorted lists, consent_required decided
    field_rows: list[DatasetField]
    warnings: list[str]


def _apply_agreement(
    session: Session,
    document: AgreementDocument,
    update: bool,
    report: ImportReport,
    problems: list[str],
) -> Agreement | None:
    label = f"agreement '{document.id}'"
    resolved = _resolve_agreement(session, document, label, problems)
    if resolved is None:
        return None
    report.warnings.extend(f"{label}: {warning}" for warning in resolved.warnings)
    agreement = session.get(Agreement, document.id)
    if agreement is not None:
        if agreement_document(agreement) == resolved.document:
            report.unchanged.append(label)
            return agreement
        if not update:
            problems.append(
                f"{label} already exists ({agreement.status}); import with --update to "
                "replace a draft, or give this agreement another id"
            )
            return None
        if agreement.status != AgreementStatus.DRAFT:
            problems.append(
                f"{label} is {agreement.status}; only a draft can be replaced. "
                "Copy it as a template to make a new version instead"
            )
            return None
        report.updated.append(label)
    else:
        agreement = Agreement(id=document.id, status=AgreementStatus.DRAFT.value)
        session.add(agreement)
        report.created.append(label)
    _store_agreement(agreement, resolved)
    return agreement


def _resolve_agreement(
    session: Session, document: AgreementDocument, label: str, problems: list[str]
) -> _ResolvedAgreement | None:
    """Check every reference in an agreement against the register; None if any fails."""
    found: list[str] = []
    organisations = {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.id.in_([document.discloser, *document.recipients])
            )
        )
    }
    for organisation_id in [document.discloser, *document.recipients]:
        if organisation_id not in organisations:
            role = "discloser" if organisation_id == document.discloser else "recipient"
            found.append(f"{role} '{organisation_id}' is not an organisation in the register")

    gateways = {
        g.id: g for g in session.scalars(select(Gateway).where(Gateway.id.in_(document.gateways)))
    }
    for gateway_id in document.gateways:
        gateway = gateways.get(gateway_id)
        if gateway is None:
            found.append(
                f"gateway '{gateway_id}' is not in the catalogue "
                "(see /register/gateways for the ids)"
            )
        elif GatewayKind(gateway.kind) not in SHARING_BASIS_KINDS:
            found.append(
                f"gateway '{gateway_id}' is {_a(gateway.kind)}, not a basis for sharing: "
                "cite the gateway that permits the disclosure instead"
            )

    permitted = {code for g in gateways.values() for code in g.purpose_codes}
    consent_based = any(g.consent_required for g in gateways.values())
    for purpose in document.purposes:
        if purpose.code.value not in permitted and not consent_based:
            found.append(
                f"purpose '{purpose.code.value}' is not permitted by any gateway cited "
                f"({', '.join(document.gateways)}); cite a gateway that covers it, or "
                "'consent-route' to share with each person's consent"
            )
    if document.consent_required is False and consent_based:
        needing = sorted(g.id for g in gateways.values() if g.consent_required)
        found.append(
            f"consent_required is false but {', '.join(needing)} requires consent; "
            "set it to true or remove it"
        )

    field_rows: list[DatasetField] = []
    canonical_datasets: list[AgreementDatasetDocument] = []
    if document.discloser in organisations:
        held = {
            d.key: d
            for d in session.scalars(
                select(Dataset)
                .where(Dataset.organisation_id == document.discloser)
                .options(selectinload(Dataset.fields))
            )
        }
        for entry in sorted(document.datasets, key=lambda d: d.dataset):
            dataset = held.get(entry.dataset)
            if dataset is None:
                found.append(
                    f"dataset '{entry.dataset}' is not held by {document.discloser} "
                    f"(it holds: {', '.join(sorted(held)) or 'no datasets'})"
                )
                continue
            by_name = {f.name: f for f in dataset.fields}
            unknown = [name for name in entry.fields if name not in by_name]
            for name in unknown:
                found.append(
                    f"field '{name}' is not in {document.discloser}'s dataset '{entry.dataset}'"
                )
            if unknown:
                continue
            ordered = sorted((by_name[name] for name in entry.fields), key=lambda f: f.position)
            field_rows.extend(ordered)
            canonical_datasets.append(
                AgreementDatasetDocument(dataset=entry.dataset, fields=[f.name for f in ordered])
            )

    problems.extend(f"{label}: {problem}" for problem in found)
    if found:
        return None
    canonical = document.model_copy(
        update={
            "recipients": sorted(document.recipients),
            "gateways": sorted(document.gateways),
            "purposes": sorted(document.purposes, key=lambda p: p.code.value),
            "datasets": canonical_datasets,
            "consent_required": consent_based or bool(document.consent_required),
        }
    )
    return _ResolvedAgreement(
        document=canonical,
        field_rows=field_rows,
        warnings=_party_warnings(document, organisations, list(gateways.values())),
    )


def _party_warnings(
    document: AgreementDocument, organisations: dict[str, Organisation], gateways: list[Gateway]
) -> list[str]:
    """Where no cited gateway names a party's kind of body: legal to check, not to refuse.

    The catalogue's party lists are compiled conservatively from partly verified sources, so
    the register warns the DPO and the broker decides each request.
    """
    warnings = []
    discloser = organisations[document.discloser]
    if not any(discloser.kind in g.discloser_kinds for g in gateways):
        warnings.append(
            f"no gateway cited names a {discloser.kind} as a body that may disclose; "
            f"check the law covers {discloser.name}"
        )
    for recipient_id in document.recipients:
        recipient = organisations[recipient_id]
        if not any(recipient.kind in g.recipient_kinds for g in gateways):
            warnings.append(
                f"no gateway cited names a {recipient.kind} as a body that may receive; "
                f"check the law covers {recipient.name}"
            )
    return warnings


def _a(kind: str) -> str:
    words = kind.replace("_", " ")
    return f"an {words}" if words[0] in "aeiou" else f"a {words}"


def _store_agreement(agreement: Agreement, resolved: _ResolvedAgreement) -> None:
    document = resolved.document
    agreement.title = document.title
    agreement.summary = document.summary
    agreement.discloser_id = document.discloser
    agreement.valid_from = document.valid_from
    agreement.valid_until = document.valid_until
    agreement.consent_required = bool(document.consent_required)
    agreement.derived_from_id = document.derived_from
    agreement.recipients = [AgreementRecipient(organisation_id=r) for r in document.recipients]
    agreement.gateways = [AgreementGateway(gateway_id=g) for g in document.gateways]
    agreement.purposes = [
        AgreementPurpose(code=p.code.value, description=p.description) for p in document.purposes
    ]
    agreement.fields = [AgreementField(field=f) for f in resolved.field_rows]


# --------------------------------------------------------------------------- exporting


def organisation_document(
    organisation: Organisation, staff: Sequence[StaffMember]
) -> OrganisationDocument:
    return OrganisationDocument(
        sharewell="organisation/v1",
        id=organisation.id,
        name=organisation.name,
        kind=OrganisationKind(organisation.kind),
        datasets=[
            DatasetDocument(
                key=d.key,
                title=d.title,
                description=d.description,
                fields=[
                    FieldDocument(
                        name=f.name,
                        title=f.title,
                        type=FieldType(f.type),
                        sensitivity=Sensitivity(f.sensitivity),
                        required=f.required,
                    )
                    for f in sorted(d.fields, key=lambda f: f.position)
                ],
            )
            for d in sorted(organisation.datasets, key=lambda d: d.key)
        ],
        staff=[
            StaffDocument(email=s.email, name=s.name, role=Role(s.role))
            for s in sorted(staff, key=lambda s: s.email)
        ],
    )


def agreement_document(agreement: Agreement) -> AgreementDocument:
    """The canonical document of a stored agreement (sorted, consent decided)."""
    by_dataset: dict[str, list[DatasetField]] = {}
    for link in agreement.fields:
        by_dataset.setdefault(link.field.dataset.key, []).append(link.field)
    return AgreementDocument(
        sharewell="agreement/v1",
        id=agreement.id,
        title=agreement.title,
        summary=agreement.summary,
        discloser=agreement.discloser_id,
        recipients=sorted(r.organisation_id for r in agreement.recipients),
        gateways=sorted(g.gateway_id for g in agreement.gateways),
        purposes=[
            PurposeDocument(code=Purpose(p.code), description=p.description)
            for p in sorted(agreement.purposes, key=lambda p: p.code)
        ],
        datasets=[
            AgreementDatasetDocument(
                dataset=key, fields=[f.name for f in sorted(fields, key=lambda f: f.position)]
            )
            for key, fields in sorted(by_dataset.items())
        ],
        valid_from=agreement.valid_from,
        valid_until=agreement.valid_until,
        consent_required=agreement.consent_required,
        derived_from=agreement.derived_from_id,
    )


def dump_documents(documents: Iterable[Document]) -> str:
    """The versioned YAML text: one ``---`` document each, keys in schema order."""
    return yaml.safe_dump_all(
        [d.model_dump(mode="json", exclude_none=True) for d in documents],
        sort_keys=False,
        allow_unicode=True,
        explicit_start=True,
        width=100,
    )


def export_agreements(session: Session, ids: Sequence[str]) -> str:
    return dump_documents(agreement_document(get_agreement(session, i)) for i in ids)


def export_register(session: Session, organisation_id: str | None = None) -> str:
    """Every organisation then every agreement (or one discloser's), ready to import elsewhere."""
    organisations = session.scalars(select(Organisation).order_by(Organisation.id)).all()
    agreements = session.scalars(select(Agreement).order_by(Agreement.id)).all()
    if organisation_id is not None:
        get_organisation(session, organisation_id)
        organisations = [o for o in organisations if o.id == organisation_id]
        agreements = [a for a in agreements if a.discloser_id == organisation_id]
    return dump_documents(
        [
            *(
                organisation_document(o, staff_accounts.staff_of(session, o.id))
                for o in organisations
            ),
            *(agreement_document(a) for a in agreements),
        ]
    )


# --------------------------------------------------------------------------- lookups


def get_agreement(session: Session, agreement_id: str) -> Agreement:
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise AgreementNotFound(agreement_id)
    return agreement


def get_organisation(session: Session, organisation_id: str) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationNotFound(organisation_id)
    return organisation


def list_agreements(session: Session) -> Sequence[Agreement]:
    return session.scalars(select(Agreement).order_by(Agreement.id)).all()


def parties(agreement: Agreement) -> frozenset[str]:
    """Who is party to an agreement: its discloser and every recipient. The one statement of
    the rule (``agreements_of_party`` is the same rule as a query)."""
    return frozenset({agreement.discloser_id, *(r.organisation_id for r in agreement.recipients)})


def is_party(agreement: Agreement, organisation_id: str) -> bool:
    return organisation_id in parties(agreement)


def agreements_of_party(session: Session, organisation_id: str) -> Sequence[Agreement]:
    """The agreements an organisation discloses or receives under, in any status, with their
    recipients loaded (one query each, not one per agreement)."""
    receives = select(AgreementRecipient.agreement_id).where(
        AgreementRecipient.organisation_id == organisation_id
    )
    return session.scalars(
        select(Agreement)
        .where((Agreement.discloser_id == organisation_id) | Agreement.id.in_(receives))
        .options(selectinload(Agreement.recipients))
        .order_by(Agreement.id)
    ).all()


def list_gateways(session: Session) -> Sequence[Gateway]:
    return session.scalars(select(Gateway).order_by(Gateway.id)).all()


def get_gateway(session: Session, gateway_id: str) -> Gateway:
    gateway = session.get(Gateway, gateway_id)
    if gateway is None:
        raise GatewayNotFound(gateway_id)
    return gateway


# The broker reads an agreement's terms for every request: its statements are built once.
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)
_TERMS_RECIPIENTS = select(
    AgreementRecipient.agreement_id, AgreementRecipient.organisation_id
).where(AgreementRecipient.agreement_id.in_(_IDS))
_TERMS_PURPOSES = select(AgreementPurpose.agreement_id, AgreementPurpose.code).where(
    AgreementPurpose.agreement_id.in_(_IDS)
)
_TERMS_GATEWAYS = (
    select(
        AgreementGateway.agreement_id,
        Gateway.id,
        Gateway.citation,
        Gateway.status,
        Gateway.kind,
        Gateway.consent_required,
        Gateway.right_to_object,
        Gateway.purpose_codes,
    )
    .join(Gateway, Gateway.id == AgreementGateway.gateway_id)
    .where(AgreementGateway.agreement_id.in_(_IDS))
    .order_by(AgreementGateway.gateway_id)
)
_TERMS_FIELDS = (
    select(
        AgreementField.agreement_id,
        Dataset.id,
        Dataset.organisation_id,
        Dataset.key,
        DatasetField.name,
    )
    .join(DatasetField, DatasetField.id == AgreementField.field_id)
    .join(Dataset, Dataset.id == DatasetField.dataset_id)
    .where(AgreementField.agreement_id.in_(_IDS))
)
_TERMS_AGREEMENTS = select(
    Agreement.id,
    Agreement.title,
    Agreement.status,
    Agreement.valid_until,
    Agreement.discloser_id,
    Agreement.consent_required,
).where(Agreement.id.in_(_IDS))
_ACTIVE_FOR_RECIPIENT = (
    select(Agreement.id)
    .join(AgreementRecipient)
    .where(
        AgreementRecipient.organisation_id == bindparam("organisation"),
        Agreement.status == AgreementStatus.ACTIVE.value,
    )
    .order_by(Agreement.id)
)


def agreement_terms(session: Session, agreement_ids: Sequence[str]) -> dict[str, AgreementTerms]:
    """The terms of these agreements (those that exist), in five indexed queries whatever
    their number. Core rather than ORM loading: the broker reads this for every request."""
    ids = sorted(set(agreement_ids))
    if not ids:
        return {}
    bound = {"ids": ids}
    connection = session.connection()  # Core rows, not ORM objects: skip the ORM layer
    recipients: dict[str, set[str]] = {i: set() for i in ids}
    for agreement_id, organisation_id in connection.execute(_TERMS_RECIPIENTS, bound):
        recipients[agreement_id].add(organisation_id)
    purposes: dict[str, set[str]] = {i: set() for i in ids}
    for agreement_id, code in connection.execute(_TERMS_PURPOSES, bound):
        purposes[agreement_id].add(code)
    gateways: dict[str, list[GatewayTerms]] = {i: [] for i in ids}
    for row in connection.execute(_TERMS_GATEWAYS, bound):
        agreement_id, gateway_id, citation, status, kind, consent, objectable, codes = row
        gateways[agreement_id].append(
            GatewayTerms(
                id=gateway_id,
                citation=citation,
                in_force=status == GatewayStatus.IN_FORCE.value,
                sharing_basis=GatewayKind(kind) in SHARING_BASIS_KINDS,
                consent_required=consent,
                right_to_object=objectable,
                purpose_codes=frozenset(codes),
            )
        )
    fields: dict[str, set[str]] = {i: set() for i in ids}
    datasets: dict[str, dict[int, DatasetRef]] = {i: {} for i in ids}
    for agreement_id, dataset_id, organisation_id, key, name in connection.execute(
        _TERMS_FIELDS, bound
    ):
        fields[agreement_id].add(f"{key}.{name}")
        datasets[agreement_id][dataset_id] = DatasetRef(dataset_id, organisation_id, key)
    return {
        row.id: AgreementTerms(
            id=row.id,
            title=row.title,
            status=AgreementStatus(row.status),
            valid_until=row.valid_until,
            discloser=row.discloser_id,
            recipients=frozenset(recipients[row.id]),
            purposes=frozenset(purposes[row.id]),
            consent_required=row.consent_required,
            gateways=tuple(gateways[row.id]),
            fields=frozenset(fields[row.id]),
            datasets=tuple(sorted(datasets[row.id].values(), key=lambda d: d.id)),
        )
        for row in connection.execute(_TERMS_AGREEMENTS, bound)
    }


def active_agreement_ids_for_recipient(session: Session, organisation_id: str) -> list[str]:
    """Agreements marked active that name this organisation as a recipient (the caller
    still applies the end date)."""
    return list(session.scalars(_ACTIVE_FOR_RECIPIENT, {"organisation": organisation_id}))


@dataclass(frozen=True)
class HeldRecords:
    """One dataset's records about some people, by NINO and by the holder's record id."""

    by_nino: dict[str, dict[str, Any]]
    by_record_id: dict[str, dict[str, Any]]


RECORD_LOOKUP_CHUNK = 500


def dataset_ninos(
    session: Session, organisation_id: str, dataset_key: str, *, limit: int
) -> list[str]:
    """The first ``limit`` National Insurance numbers a dataset holds, in the order loaded."""
    return list(
        session.scalars(
            select(DatasetRecord.nino)
            .join(Dataset, Dataset.id == DatasetRecord.dataset_id)
            .where(
                Dataset.organisation_id == organisation_id,
                Dataset.key == dataset_key,
                DatasetRecord.nino.is_not(None),
            )
            .order_by(DatasetRecord.id)
            .limit(limit)
        )
    )


def held_records(
    session: Session, dataset: DatasetRef, *, ninos: Iterable[str], record_ids: Iterable[str]
) -> HeldRecords:
    """What a dataset holds about these people, in a query per 500 identifiers.

    Where one NINO has several records, the first loaded (lowest id) is the one held."""
    wanted_ninos = sorted(set(ninos))
    wanted_ids = sorted(set(record_ids))
    connection = session.connection()
    by_nino: dict[str, dict[str, Any]] = {}
    by_record_id: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted_ninos), RECORD_LOOKUP_CHUNK):
        for nino, data in connection.execute(
            select(DatasetRecord.nino, DatasetRecord.data)
            .where(
                DatasetRecord.dataset_id == dataset.id,
                DatasetRecord.nino.in_(wanted_ninos[start : start + RECORD_LOOKUP_CHUNK]),
            )
            .order_by(DatasetRecord.id)
        ):
            by_nino.setdefault(nino, data)
    for start in range(0, len(wanted_ids), RECORD_LOOKUP_CHUNK):
        for record_id, data in connection.execute(
            select(DatasetRecord.record_id, DatasetRecord.data).where(
                DatasetRecord.dataset_id == dataset.id,
                DatasetRecord.record_id.in_(wanted_ids[start : start + RECORD_LOOKUP_CHUNK]),
            )
        ):
            by_record_id[record_id] = data
    return HeldRecords(by_nino, by_record_id)


# --------------------------------------------------------------------------- copying


def copy_agreement(
    session: Session,
    source_id: str,
    *,
    into: str,
    new_id: str | None = None,
    recipients: Sequence[str] | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    title: str | None = None,
    summary: str | None = None,
    actor: StaffMember | None = None,
) -> Agreement:
    """Copy a published agreement as a draft template for another body (a replicable scheme).

    The copy keeps the law, purposes and fields; the copying body becomes the discloser of its
    own datasets with the same keys, and the copy records which agreement it came from. A copy
    made for people to read (``title`` given) needs its own title and summary: residents choose
    between agreements by them, and two alike would be two identical choices.
    """
    if title is not None or summary is not None:
        _check_copy_words(session, source_id, title or "", summary or "")
    source = get_agreement(session, source_id)
    target = get_organisation(session, into)
    if actor is not None and (actor.organisation_id != into or actor.role != Role.DPO):
        raise LifecycleNotPermitted(
            f"Only a data protection officer of {target.name} can copy an agreement into it.",
            hint="Sign in as that organisation's DPO.",
        )
    if source.status == AgreementStatus.DRAFT and source.discloser_id != into:
        raise RegisterInputInvalid(
            f"Agreement '{source_id}' is a draft and not yet published, so it cannot be copied.",
            hint="Copy an active, suspended or expired agreement from the public register.",
        )
    template = agreement_document(source)
    chosen_recipients = (
        list(recipients)
        if recipients is not None
        else [r for r in template.recipients if r != into]
    )
    draft = template.model_copy(
        update={
            "id": new_id or _copy_id(source, into),
            "discloser": into,
            "recipients": chosen_recipients,
            "valid_from": valid_from or template.valid_from,
            "valid_until": valid_until or template.valid_until,
            "derived_from": source.id,
            **({"title": title.strip()} if title else {}),
            **({"summary": summary.strip()} if summary else {}),
        }
    )
    try:
        document = AgreementDocument.model_validate(draft.model_dump())
    except ValidationError as error:
        raise RegisterInputInvalid(
            f"The copy of '{source_id}' for {into} is not a valid agreement.",
            problems=[_describe(e) for e in error.errors()],
        ) from None
    report = apply_documents(session, [document], f"copy of {source_id}")
    if not report.created:
        raise RegisterInputInvalid(f"Agreement '{document.id}' already exists.")
    return get_agreement(session, document.id)


def _check_copy_words(session: Session, source_id: str, title: str, summary: str) -> None:
    fields: dict[str, str] = {}
    if not source_id:
        fields["source"] = "Choose the agreement to copy"
    original = session.get(Agreement, source_id) if source_id else None
    if not title.strip():
        fields["title"] = "Enter a title for your copy, as your residents will see it"
    elif original is not None and title.strip().casefold() == original.title.casefold():
        fields["title"] = (
            "Give your copy its own title: residents would otherwise see two agreements "
            f"called “{original.title}”"
        )
    if not summary.strip():
        fields["summary"] = "Say in a sentence what your copy shares, with whom and why"
    elif original is not None and summary.strip().casefold() == original.summary.casefold():
        fields["summary"] = "Describe your own scheme, not the original's"
    if fields:
        raise RegisterInputInvalid("Nothing was copied.", fields=fields)


def _copy_id(source: Agreement, into: str) -> str:
    stem = source.id.removeprefix(f"{source.discloser_id}-")
    return f"{into}-{stem}"[:100].rstrip("-")


# --------------------------------------------------------------------------- lifecycle


def change_status(
    session: Session,
    agreement_id: str,
    to: AgreementStatus,
    *,
    actor: StaffMember,
    reason: str = "",
    today: dt.date | None = None,
) -> Agreement:
    """Move an agreement through draft → active → suspended → expired.

    Only a DPO of a party (the discloser or a recipient) may do it. Activation needs the
    agreement's period to include today or lie ahead, and every gateway it cites in force.
    """
    today = today or dt.date.today()
    agreement = get_agreement(session, agreement_id)
    if actor.role != Role.DPO or not is_party(agreement, actor.organisation_id):
        raise LifecycleNotPermitted(
            f"{actor.email} cannot change the status of '{agreement_id}': only a data "
            "protection officer of the discloser or a recipient can.",
            hint=f"Ask a DPO of {', '.join(sorted(parties(agreement)))}.",
        )
    current = AgreementStatus(agreement.status)
    if to not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "nothing (it is final)"
        raise LifecycleTransitionInvalid(
            f"Agreement '{agreement_id}' is {current}; it can become {allowed}, not {to}."
        )
    if to == AgreementStatus.ACTIVE:
        _check_can_activate(agreement, today)
    with session.begin_nested():
        agreement.status = to.value
        index = _record_on_ledger(
            session, agreement, current, to, actor.organisation_id, Role(actor.role)
        )
        agreement.events.append(
            AgreementStatusEvent(
                from_status=current.value,
                to_status=to.value,
                actor_id=actor.id,
                reason=reason,
                ledger_index=index,
            )
        )
        session.flush()
    return agreement


def _record_on_ledger(
    session: Session,
    agreement: Agreement,
    before: AgreementStatus,
    after: AgreementStatus,
    organisation: str,
    role: Role | SystemActor,
) -> int:
    """Every change of an agreement's status is a public ledger entry (no staff names, and
    not the reason, which a person typed: that stays in the agreement's history); returns its
    index."""
    change = AgreementPublic(
        organisation=organisation,
        agreement=agreement.id,
        discloser=agreement.discloser_id,
        recipients=tuple(r.organisation_id for r in agreement.recipients),
        purposes=tuple(Purpose(p.code) for p in agreement.purposes),
        gateways=tuple(g.gateway_id for g in agreement.gateways),
        fields=tuple(sorted(f"{f.field.dataset.key}.{f.field.name}" for f in agreement.fields)),
        from_status=before,
        to_status=after,
        by_role=role,
    )
    (index,) = ledger.append_leaves(session, [Leaf(public=change, time=dt.datetime.now(dt.UTC))])
    return index


def _check_can_activate(agreement: Agreement, today: dt.date) -> None:
    if agreement.valid_until < today:
        raise LifecycleTransitionInvalid(
            f"Agreement '{agreement.id}' ended on {agreement.valid_until}, so it cannot be "
            "activated.",
            hint="Copy it as a template with new dates.",
        )
    not_in_force = sorted(
        link.gateway_id
        for link in agreement.gateways
        if link.gateway.status != GatewayStatus.IN_FORCE
    )
    if not_in_force:
        raise LifecycleTransitionInvalid(
            f"Agreement '{agreement.id}' cites {', '.join(not_in_force)}, which "
            f"{'is' if len(not_in_force) == 1 else 'are'} not confirmed in force.",
            hint="Cite a gateway in force, or wait until the law commences.",
        )


def expire_lapsed(session: Session, *, today: dt.date | None = None) -> list[str]:
    """Expire every active or suspended agreement whose end date has passed."""
    today = today or dt.date.today()
    lapsed = session.scalars(
        select(Agreement).where(
            Agreement.valid_until < today,
            Agreement.status.in_([AgreementStatus.ACTIVE.value, AgreementStatus.SUSPENDED.value]),
        )
    ).all()
    with session.begin_nested():
        for agreement in lapsed:
            reason = f"its end date, {agreement.valid_until}, has passed"
            index = _record_on_ledger(
                session,
                agreement,
                AgreementStatus(agreement.status),
                AgreementStatus.EXPIRED,
                "sharewell",
                SystemActor.SYSTEM,
            )
            agreement.events.append(
                AgreementStatusEvent(
                    from_status=agreement.status,
                    to_status=AgreementStatus.EXPIRED.value,
                    actor_id=None,
                    reason=reason,
                    ledger_index=index,
                )
            )
            agreement.status = AgreementStatus.EXPIRED.value
        session.flush()
    return [a.id for a in lapsed]


# --------------------------------------------------------------------------- public view


def effective_status(agreement: Agreement, today: dt.date) -> AgreementStatus:
    """The status a reader should see: an agreement past its end date is expired."""
    return status_on(AgreementStatus(agreement.status), agreement.valid_until, today)


def public_agreement(agreement: Agreement, today: dt.date) -> PublicAgreement:
    document = agreement_document(agreement)
    titles = {d.key: d.title for d in agreement.discloser.datasets}
    return PublicAgreement(
        id=agreement.id,
        title=agreement.title,
        summary=agreement.summary,
        status=effective_status(agreement, today),
        discloser=_public_organisation(agreement.discloser),
        recipients=[_public_organisation(r.organisation) for r in agreement.recipients],
        gateways=[public_gateway(link.gateway) for link in agreement.gateways],
        purposes=[
            PublicPurpose(
                code=p.code, title=PURPOSE_TITLES[Purpose(p.code)], description=p.description
            )
            for p in agreement.purposes
        ],
        datasets=[
            PublicDatasetFields(
                dataset=d.dataset, title=titles.get(d.dataset, d.dataset), fields=d.fields
            )
            for d in document.datasets
        ],
        valid_from=agreement.valid_from,
        valid_until=agreement.valid_until,
        consent_required=agreement.consent_required,
        derived_from=agreement.derived_from_id,
    )


def public_gateway(gateway: Gateway) -> PublicGateway:
    return PublicGateway(
        id=gateway.id,
        title=gateway.title,
        citation=gateway.citation,
        kind=gateway.kind,
        status=gateway.status,
        jurisdiction=gateway.jurisdiction,
        consent_required=gateway.consent_required,
        source_url=gateway.source_url,
    )


def _public_organisation(organisation: Organisation) -> PublicOrganisation:
    return PublicOrganisation(id=organisation.id, name=organisation.name, kind=organisation.kind)


def published_agreements(
    session: Session, *, today: dt.date | None = None, include_inactive: bool = False
) -> list[PublicAgreement]:
    """The public register: active agreements (and, if asked, suspended and expired ones)."""
    today = today or dt.date.today()
    shown = {AgreementStatus.ACTIVE}
    if include_inactive:
        shown |= {AgreementStatus.SUSPENDED, AgreementStatus.EXPIRED}
    agreements = session.scalars(
        select(Agreement)
        .where(Agreement.status != AgreementStatus.DRAFT.value)
        .order_by(Agreement.discloser_id, Agreement.id)
    ).all()
    return [public_agreement(a, today) for a in agreements if effective_status(a, today) in shown]


def published_agreement(
    session: Session, agreement_id: str, *, today: dt.date | None = None
) -> PublicAgreement:
    """One agreement as the public sees it; drafts are not published."""
    agreement = session.get(Agreement, agreement_id)
    if agreement is None or agreement.status == AgreementStatus.DRAFT:
        raise AgreementNotFound(agreement_id)
    return public_agreement(agreement, today or dt.date.today())


# --------------------------------------------------------------------------- administration


@dataclass(frozen=True)
class OrganisationOverview:
    """An organisation in the register, with how many datasets and staff it has."""

    id: str
    name: str
    kind: str
    datasets: int
    staff: int


def organisation_overviews(session: Session) -> list[OrganisationOverview]:
    """Every organisation in the register, by name, with its counts (a query per domain)."""
    datasets = (
        select(Dataset.organisation_id, func.count().label("count"))
        .group_by(Dataset.organisation_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Organisation.id,
            Organisation.name,
            Organisation.kind,
            func.coalesce(datasets.c.count, 0),
        )
        .outerjoin(datasets, datasets.c.organisation_id == Organisation.id)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    staff = staff_accounts.counts_by_organisation(session)
    return [
        OrganisationOverview(id_, name, kind, datasets, staff.get(id_, 0))
        for id_, name, kind, datasets in rows
    ]
