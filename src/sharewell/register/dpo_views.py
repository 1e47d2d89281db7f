"""The data protection officer's pages: their organisation's agreements (create from a
template, import YAML, copy another council's published agreement, activate, suspend), the
consents for them and the refusals by reason. Every change goes through the register's own
validated services, so the rules are the same as on the command line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.services import StaffIdentity
from sharewell.broker import reports as broker_reports
from sharewell.consent import reports as consent_reports
from sharewell.errors import Conflict, InvalidInput, NotFound
from sharewell.register import editing
from sharewell.register import services as register
from sharewell.register.errors import AgreementNotFound
from sharewell.register.models import Agreement
from sharewell.register.schemas import AgreementDocument
from sharewell.register.vocabulary import PURPOSE_TITLES, AgreementStatus
from sharewell.web.deps import BIGINT_MAX, SessionDep
from sharewell.web.sessions import csrf_protected, staff_with_role
from sharewell.web.templating import render

router = APIRouter(default_response_class=HTMLResponse)
Dpo = Annotated[StaffIdentity, Depends(staff_with_role(["dpo"]))]
AgreementId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$")]
MAX_YAML = 200_000
STATUS_TAGS = {
    "draft": "govuk-tag--grey",
    "active": "govuk-tag--green",
    "suspended": "govuk-tag--orange",
    "expired": "govuk-tag--red",
}
PERIODS = {"30": 30, "90": 90, "365": 365}


def _own_agreement(session: Session, staff: StaffIdentity, agreement_id: str) -> Agreement:
    """An agreement this DPO's organisation is party to; any other is not found (as on a
    missing one), so a private draft of another organisation is never revealed."""
    try:
        agreement = register.get_agreement(session, agreement_id)
    except AgreementNotFound:
        raise AgreementNotFound(agreement_id) from None
    if not register.is_party(agreement, staff.organisation):
        raise AgreementNotFound(agreement_id)
    return agreement


def _party_agreements(session: Session, organisation: str) -> Sequence[Agreement]:
    return register.agreements_of_party(session, organisation)


@router.get("/staff/agreements")
def agreements(request: Request, session: SessionDep, staff: Dpo) -> Response:
    today = dt.date.today()
    rows = [
        {
            "agreement": a,
            "status": register.effective_status(a, today).value,
            "role": "Discloser" if a.discloser_id == staff.organisation else "Recipient",
        }
        for a in _party_agreements(session, staff.organisation)
    ]
    return render(
        request,
        "staff/agreements/list.html",
        {
            "title": "Your organisation's agreements",
            "staff": staff,
            "rows": rows,
            "status_tags": STATUS_TAGS,
        },
    )


def _agreement_page(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    agreement: Agreement,
    *,
    error: InvalidInput | Conflict | None = None,
    changed: str | None = None,
    entry: int | None = None,
) -> Response:
    today = dt.date.today()
    status = register.effective_status(agreement, today)
    return render(
        request,
        "staff/agreements/agreement.html",
        {
            "title": agreement.title,
            "staff": staff,
            "agreement": register.public_agreement(agreement, today),
            "status": status.value,
            "status_tags": STATUS_TAGS,
            "can_activate": status in (AgreementStatus.DRAFT, AgreementStatus.SUSPENDED),
            "can_suspend": status == AgreementStatus.ACTIVE,
            "can_edit": editing.may_edit(
                agreement.discloser_id,
                agreement.status,
                staff_accounts.by_id(session, staff.id),
            ),
            "events": agreement.events,
            "error": error,
            "has_errors": error is not None,
            "changed": changed,
            "entry": entry,
        },
        status_code=422 if error is not None else 200,
    )


def _copy_page(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    *,
    error: InvalidInput | NotFound | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    published = [
        a
        for a in register.published_agreements(session, include_inactive=True)
        if a.discloser.id != staff.organisation
    ]
    return render(
        request,
        "staff/agreements/copy.html",
        {
            "title": "Copy another council's agreement",
            "staff": staff,
            "published": published,
            "organisations": register.organisation_overviews(session),
            "values": values or {},
            "error": error,
            "has_errors": error is not None,
        },
        status_code=422 if error is not None else 200,
    )


@router.get("/staff/agreements/copy")
def copy_form(request: Request, session: SessionDep, staff: Dpo) -> Response:
    return _copy_page(request, session, staff)


@router.post("/staff/agreements/copy", dependencies=[Depends(csrf_protected)])
def copy(
    request: Request,
    session: SessionDep,
    staff: Dpo,
    source: Annotated[str, Form(max_length=100)] = "",
    recipient: Annotated[str, Form(max_length=100)] = "",
    new_id: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    actor = staff_accounts.by_id(session, staff.id)
    values = {"source": source, "recipient": recipient, "new_id": new_id, "title": title}
    values["summary"] = summary
    try:
        copied = register.copy_agreement(
            session,
            source,
            into=staff.organisation,
            new_id=new_id.strip() or None,
            recipients=[recipient] if recipient else None,
            title=title,
            summary=summary,
            actor=actor,
        )
    except (InvalidInput, NotFound) as refused:
        return _copy_page(request, session, staff, error=refused, values=values)
    return RedirectResponse(f"/staff/agreements/{copied.id}?changed=copied", status_code=303)


def _template_yaml(session: Session, organisation: str) -> str:
    """A starting point for a new agreement: this organisation's own datasets and fields."""
    own = register.get_organisation(session, organisation)
    fields = [
        f"    - {dataset.key}.{field.name}" for dataset in own.datasets for field in dataset.fields
    ][:3]
    return "\n".join(
        [
            "sharewell: agreement/v1",
            f"id: {organisation}-new-agreement",
            "title: A new agreement",
            "summary: What is shared, with whom and why, in a sentence people can read.",
            f"discloser: {organisation}",
            "recipients:",
            "- another-organisation-id",
            "gateways:",
            "- consent-route",
            "purposes:",
            "- code: free-school-meals",
            "datasets:",
            f"- dataset: {own.datasets[0].key if own.datasets else 'a-dataset'}",
            "  fields:",
            *(fields or ["    - a-field"]),
            f"valid_from: {dt.date.today().isoformat()}",
            f"valid_until: {(dt.date.today() + dt.timedelta(days=365)).isoformat()}",
            "consent_required: true",
            "",
        ]
    )


def _import_page(
    request: Request,
    staff: StaffIdentity,
    *,
    title: str,
    text: str,
    error: InvalidInput | None = None,
    creating: bool = False,
) -> Response:
    return render(
        request,
        "staff/agreements/import.html",
        {
            "title": title,
            "staff": staff,
            "text": text,
            "error": error,
            "has_errors": error is not None,
            "creating": creating,
        },
        status_code=422 if error is not None else 200,
    )


@router.get("/staff/agreements/new")
def new_form(request: Request, session: SessionDep, staff: Dpo) -> Response:
    return _import_page(
        request,
        staff,
        title="Create an agreement",
        text=_template_yaml(session, staff.organisation),
        creating=True,
    )


@router.get("/staff/agreements/import")
def import_form(request: Request, staff: Dpo) -> Response:
    return _import_page(request, staff, title="Import agreements from YAML", text="")


def _check_own_documents(text: str, organisation: str) -> list[Any]:
    documents = register.parse_documents(text, source="the YAML")
    problems = []
    for document in documents:
        if not isinstance(document, AgreementDocument):
            problems.append(
                f"organisation '{document.id}': organisations are imported by the operator, "
                "not here"
            )
        elif document.discloser != organisation:
            problems.append(
                f"agreement '{document.id}': its discloser is {document.discloser}, not your "
                f"organisation ({organisation}); only a discloser's DPO can import it"
            )
    if problems:
        raise InvalidInput(
            "Nothing was imported.",
            hint="Change the documents and try again.",
            problems=problems,
        )
    return documents


@router.post("/staff/agreements/import", dependencies=[Depends(csrf_protected)])
def import_agreements(
    request: Request,
    session: SessionDep,
    staff: Dpo,
    text: Annotated[str, Form(max_length=MAX_YAML)] = "",
    creating: Annotated[bool, Form()] = False,
) -> Response:
    title = "Create an agreement" if creating else "Import agreements from YAML"
    try:
        if not text.strip():
            raise InvalidInput(
                "Paste one or more agreement documents.",
                hint="Each starts with `sharewell: agreement/v1`.",
            )
        _check_own_documents(text, staff.organisation)
        with session.begin_nested():
            report = register.import_documents(session, text, source="the YAML")
    except InvalidInput as refused:
        return _import_page(
            request, staff, title=title, text=text, error=refused, creating=creating
        )
    return render(
        request,
        "staff/agreements/imported.html",
        {"title": "Agreements imported", "staff": staff, "report": report},
    )


@router.get("/staff/agreements/{agreement_id}")
def agreement(
    request: Request,
    session: SessionDep,
    staff: Dpo,
    agreement_id: AgreementId,
    changed: Annotated[str | None, Query(pattern="^(copied|edited|active|suspended)$")] = None,
    entry: Annotated[int | None, Query(ge=0, le=BIGINT_MAX)] = None,
) -> Response:
    found = _own_agreement(session, staff, agreement_id)
    return _agreement_page(request, session, staff, found, changed=changed, entry=entry)


def _change(
    request: Request, session: Session, staff: StaffIdentity, agreement_id: str, to: str
) -> Response:
    found = _own_agreement(session, staff, agreement_id)
    actor = staff_accounts.by_id(session, staff.id)
    try:
        changed = register.change_status(
            session,
            agreement_id,
            AgreementStatus(to),
            actor=actor,
        )
    except (InvalidInput, Conflict) as refused:  # checked before anything is written
        return _agreement_page(request, session, staff, found, error=refused)
    entry = changed.events[-1].ledger_index
    return RedirectResponse(
        f"/staff/agreements/{found.id}?changed={to}&entry={entry}", status_code=303
    )


@router.get("/staff/agreements/{agreement_id}/activate")
def confirm_activate(
    request: Request, session: SessionDep, staff: Dpo, agreement_id: AgreementId
) -> Response:
    return _confirm_change(request, session, staff, agreement_id, "activate")


@router.get("/staff/agreements/{agreement_id}/suspend")
def confirm_suspend(
    request: Request, session: SessionDep, staff: Dpo, agreement_id: AgreementId
) -> Response:
    return _confirm_change(request, session, staff, agreement_id, "suspend")


def _confirm_change(
    request: Request, session: Session, staff: StaffIdentity, agreement_id: str, action: str
) -> Response:
    """What activating or suspending will change, and the button that does it (one click on
    the agreement's page only brings a person here)."""
    found = _own_agreement(session, staff, agreement_id)
    today = dt.date.today()
    status = register.effective_status(found, today)
    allowed = {
        "activate": status in (AgreementStatus.DRAFT, AgreementStatus.SUSPENDED),
        "suspend": status == AgreementStatus.ACTIVE,
    }[action]
    if not allowed:
        return RedirectResponse(f"/staff/agreements/{found.id}", status_code=303)
    shown = register.public_agreement(found, today)
    return render(
        request,
        "staff/agreements/confirm.html",
        {
            "title": f"{action.capitalize()} “{found.title}”?",
            "staff": staff,
            "action": action,
            "agreement": shown,
            "field_count": sum(len(d.fields) for d in shown.datasets),
        },
    )


@router.get("/staff/agreements/{agreement_id}/edit")
def edit_form(
    request: Request, session: SessionDep, staff: Dpo, agreement_id: AgreementId
) -> Response:
    found = _own_agreement(session, staff, agreement_id)
    actor = staff_accounts.by_id(session, staff.id)
    if not editing.may_edit(found.discloser_id, found.status, actor):
        return RedirectResponse(f"/staff/agreements/{found.id}", status_code=303)
    return _edit_page(request, session, staff, found, editing.draft_form(session, found.id))


def _edit_page(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    agreement: Agreement,
    form: editing.DraftForm,
    error: InvalidInput | None = None,
) -> Response:
    own = register.get_organisation(session, staff.organisation)
    return render(
        request,
        "staff/agreements/edit.html",
        {
            "title": f"Change the draft “{agreement.title}”",
            "staff": staff,
            "agreement_id": agreement.id,
            "form": form,
            "organisations": [
                o for o in register.organisation_overviews(session) if o.id != staff.organisation
            ],
            "purposes": [(p.value, title) for p, title in PURPOSE_TITLES.items()],
            "fields": [
                (f"{d.key}.{f.name}", f"{f.title} ({d.title})")
                for d in own.datasets
                for f in d.fields
            ],
            "error": error,
            "has_errors": error is not None,
        },
        status_code=422 if error is not None else 200,
    )


@router.post("/staff/agreements/{agreement_id}/edit", dependencies=[Depends(csrf_protected)])
def edit(
    request: Request,
    session: SessionDep,
    staff: Dpo,
    agreement_id: AgreementId,
    title: Annotated[str, Form(max_length=200)] = "",
    summary: Annotated[str, Form(max_length=2000)] = "",
    recipients: Annotated[list[str] | None, Form()] = None,
    purposes: Annotated[list[str] | None, Form()] = None,
    fields: Annotated[list[str] | None, Form()] = None,
    valid_from: Annotated[str, Form(max_length=20)] = "",
    valid_until: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    found = _own_agreement(session, staff, agreement_id)
    form = editing.DraftForm(
        title=title,
        summary=summary,
        recipients=tuple(recipients or ()),
        purposes=tuple(purposes or ()),
        fields=tuple(fields or ()),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    try:
        editing.edit_draft(session, found.id, form, actor=staff_accounts.by_id(session, staff.id))
    except InvalidInput as refused:
        return _edit_page(request, session, staff, found, form, refused)
    return RedirectResponse(f"/staff/agreements/{found.id}?changed=edited", status_code=303)


@router.post("/staff/agreements/{agreement_id}/activate", dependencies=[Depends(csrf_protected)])
def activate(
    request: Request, session: SessionDep, staff: Dpo, agreement_id: AgreementId
) -> Response:
    return _change(request, session, staff, agreement_id, "active")


@router.post("/staff/agreements/{agreement_id}/suspend", dependencies=[Depends(csrf_protected)])
def suspend(
    request: Request, session: SessionDep, staff: Dpo, agreement_id: AgreementId
) -> Response:
    return _change(request, session, staff, agreement_id, "suspended")


@router.get("/staff/consents")
def consents(request: Request, session: SessionDep, staff: Dpo) -> Response:
    mine = _party_agreements(session, staff.organisation)
    counts = consent_reports.standing_by_agreement(session, [a.id for a in mine])
    return render(
        request,
        "staff/agreements/consents.html",
        {
            "title": "Consents and objections",
            "staff": staff,
            "rows": [{"agreement": a, "counts": counts.get(a.id, {})} for a in mine],
        },
    )


@router.get("/staff/denials")
def denials(
    request: Request,
    session: SessionDep,
    staff: Dpo,
    period: Annotated[str, Query(pattern="^(30|90|365)$")] = "30",
) -> Response:
    disclosed = [
        a.id
        for a in _party_agreements(session, staff.organisation)
        if a.discloser_id == staff.organisation
    ]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=PERIODS[period])
    report = broker_reports.refusals(session, staff.organisation, disclosed, since=since)
    return render(
        request,
        "staff/agreements/denials.html",
        {
            "title": "Refusals by reason",
            "staff": staff,
            "report": report,
            "period": period,
            "periods": PERIODS,
        },
    )
