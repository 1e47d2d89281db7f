"""The staff path to the broker: an officer asks about a person and sees the decision, its
reasons and its place in the transparency log – exactly what a partner system gets."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from sharewell.accounts.services import StaffIdentity
from sharewell.broker import queries
from sharewell.broker import services as broker
from sharewell.broker.schemas import DecisionRequest
from sharewell.consent.vocabulary import spaced_nino
from sharewell.errors import NotFound
from sharewell.register import services as register
from sharewell.register.labels import Labels, labels_for
from sharewell.register.terms import AgreementTerms
from sharewell.register.vocabulary import PURPOSE_TITLES, AgreementStatus
from sharewell.web.deps import SessionDep
from sharewell.web.sessions import csrf_protected, staff_with_role
from sharewell.web.templating import humanise, pagination, render

router = APIRouter(default_response_class=HTMLResponse)
Officer = Annotated[StaffIdentity, Depends(staff_with_role(["officer"]))]
FORM_TITLE = "Ask for information about a person"
REFUSAL_AHEAD = (
    "No agreement your organisation receives under covers this information for this purpose, "
    "so the request would be refused. The person would still see it among the requests for "
    "their information"
)
OUTCOME_TAGS = {
    "permit": {"text": "Shared", "classes": "govuk-tag--green"},
    "partial": {"text": "Partly shared", "classes": "govuk-tag--yellow"},
    "deny": {"text": "Refused", "classes": "govuk-tag--red"},
}


def _agreements_for(session: Session, organisation: str) -> list[AgreementTerms]:
    """The agreements in force that name this organisation as a recipient."""
    today = dt.date.today()
    terms = register.agreement_terms(
        session, register.active_agreement_ids_for_recipient(session, organisation)
    )
    return [t for t in terms.values() if t.status_on(today) == AgreementStatus.ACTIVE]


def could_release(
    agreements: Sequence[AgreementTerms], purpose: str, agreement: str, fields: Sequence[str]
) -> bool:
    """Whether any of these agreements (the one chosen, if any) covers this purpose and at
    least one of the fields: if none does, the request can only be refused."""
    return any(
        purpose in t.purposes and set(fields) & t.fields
        for t in agreements
        if not agreement or t.id == agreement
    )


def _form(
    request: Request,
    session: Session,
    staff: StaffIdentity,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    refusal_ahead: bool = False,
) -> Response:
    agreements = _agreements_for(session, staff.organisation)
    covered = sorted({(t.id, f) for t in agreements for f in t.fields})
    labels = labels_for(session, fields_under=covered)
    fields = {f: labels.field_under(a, f) for a, f in covered}
    said = Counter(fields.values())
    fields = {  # two datasets' "First name" are told apart by their dataset
        f: label if said[label] == 1 else f"{label} ({humanise(f.partition('.')[0])})"
        for f, label in fields.items()
    }
    return render(
        request,
        "staff/request.html",
        {
            "title": FORM_TITLE,
            "staff": staff,
            "agreements": [(t.id, labels.agreements.get(t.id, t.id)) for t in agreements],
            "fields": sorted(fields.items(), key=lambda item: item[1]),
            # Only what the organisation's agreements cover: anything else would be refused.
            "purposes": [
                (p.value, title)
                for p, title in PURPOSE_TITLES.items()
                if any(p.value in t.purposes for t in agreements)
            ],
            "values": {"fields": [], "other_fields": "", **(values or {})},
            "errors": errors or {},
            "has_errors": bool(errors),
            "refusal_ahead": refusal_ahead,
            # A retried or re-sent form answers with the same decision, adding no entry.
            "idempotency_key": (values or {}).get("idempotency_key") or secrets.token_urlsafe(24),
        },
        status_code=422 if errors else 200,
    )


@router.get("/staff/requests/new")
def request_form(request: Request, session: SessionDep, staff: Officer) -> Response:
    return _form(request, session, staff)


_FORM_FIELD_FOR = {"purpose": "purpose", "agreement": "agreement", "subjects": "nino"}


@router.post("/staff/requests", dependencies=[Depends(csrf_protected)])
def make_request(
    request: Request,
    session: SessionDep,
    staff: Officer,
    purpose: Annotated[str, Form(max_length=100)] = "",
    agreement: Annotated[str, Form(max_length=100)] = "",
    nino: Annotated[str, Form(max_length=300)] = "",
    fields: Annotated[list[str] | None, Form()] = None,
    other_fields: Annotated[str, Form(max_length=5000)] = "",
    idempotency_key: Annotated[str, Form(min_length=8, max_length=200)] = "",
    send_anyway: Annotated[bool, Form()] = False,
) -> Response:
    asked = [*(fields or []), *(f.strip() for f in other_fields.split(",") if f.strip())]
    values = {
        "purpose": purpose,
        "agreement": agreement,
        "nino": nino,
        "fields": fields or [],
        "other_fields": other_fields,
        "idempotency_key": idempotency_key,
    }
    try:
        body = DecisionRequest.model_validate(
            {
                "purpose": purpose,
                "agreement": agreement or None,
                "subjects": [{"scheme": "nino", "value": nino}],
                "fields": list(dict.fromkeys(asked)),
            }
        )
    except ValidationError as invalid:
        return _form(request, session, staff, values=values, errors=_form_errors(invalid))
    agreements = _agreements_for(session, staff.organisation)
    if not send_anyway and not could_release(agreements, purpose, agreement, body.fields):
        # Said before it is sent: the refusal would still be recorded, and the person sees it.
        errors = {"purpose": REFUSAL_AHEAD}
        return _form(request, session, staff, values=values, errors=errors, refusal_ahead=True)
    summary = broker.decide(
        session,
        broker.Requester(organisation=staff.organisation, actor=f"staff:{staff.role}"),
        body,
        idempotency_key=f"staff-{staff.id}-{idempotency_key}" if idempotency_key else None,
    )
    decision = summary.decisions[0]
    labels = labels_for(
        session,
        fields_under=[
            (summary.agreement or "", n) for n in (*decision.released, *decision.refused)
        ],
    )
    return render(
        request,
        "staff/decision.html",
        {
            "title": f"Decision: {OUTCOME_TAGS[decision.outcome]['text'].lower()}",
            "outcome_tags": OUTCOME_TAGS,
            "staff": staff,
            "summary": summary,
            "decision": decision,
            "labels": labels,
            "person": spaced_nino(body.subjects[0].value),
            "purpose_title": PURPOSE_TITLES.get(body.purpose, body.purpose.value),
        },
    )


def _form_errors(invalid: ValidationError) -> dict[str, str]:
    """Each problem against the form field a person can correct (the first per field)."""
    errors: dict[str, str] = {}
    for error in invalid.errors():
        location = [str(part) for part in error["loc"]]
        field = _FORM_FIELD_FOR.get(location[0], "fields") if location else "fields"
        message = {
            "purpose": "Choose what the information is for",
            "agreement": "Choose an agreement from the list, or let Sharewell find one",
            "nino": "Enter a National Insurance number, like QQ 12 34 56 C",
            "fields": "Choose the information you need (anything not listed is written by its "
            "name in the data, like housing-benefit-claims.dob)",
        }[field]
        if field == "nino" and error["type"] == "value_error":
            message = "Enter a real National Insurance number: 2 letters, 6 digits, then A to D"
        errors.setdefault(field, message)
    return errors


# --------------------------------------------------------------------------- decisions made

DECISIONS_TITLE = "Your organisation's decisions"
REQUEST_TITLE = "Decisions on one request"
Page = Annotated[int, Query(ge=1, le=1_000_000)]


def _labels_of(
    session: Session,
    decisions: Sequence[queries.DecisionRecord],
    *requests: queries.RequestRecord,
) -> Labels:
    """The words for every agreement and field these decisions name, in one go."""
    asked = [*(d.request for d in decisions), *requests]
    return labels_for(
        session, fields_under={(r.agreement or "", name) for r in asked for name in r.fields_asked}
    )


def _check_page_exists(page: queries.DecisionPage) -> None:
    if page.page > page.pages:
        raise NotFound(
            f"There is no page {page.page}: there are {page.pages}.",
            hint="Go back to the first page of decisions.",
        )


@router.get("/staff/decisions")
def decisions_made(
    request: Request, session: SessionDep, staff: Officer, page: Page = 1
) -> Response:
    found = queries.decisions_for_requester(session, staff.organisation, page=page)
    _check_page_exists(found)
    return render(
        request,
        "staff/decisions.html",
        {
            "title": DECISIONS_TITLE,
            "staff": staff,
            "found": found,
            "outcome_tags": OUTCOME_TAGS,
            "labels": _labels_of(session, found.decisions),
            "pagination": pagination(found, "/staff/decisions"),
        },
    )


@router.get("/staff/decisions/{request_id}")
def request_decided(
    request: Request, session: SessionDep, staff: Officer, request_id: str, page: Page = 1
) -> Response:
    found = queries.request_decisions(session, staff.organisation, request_id, page=page)
    _check_page_exists(found.decisions)
    return render(
        request,
        "staff/decisions_request.html",
        {
            "title": REQUEST_TITLE,
            "staff": staff,
            "found": found,
            "outcome_tags": OUTCOME_TAGS,
            "labels": _labels_of(session, found.decisions.decisions, found.request),
            "pagination": pagination(found.decisions, f"/staff/decisions/{request_id}"),
        },
    )
