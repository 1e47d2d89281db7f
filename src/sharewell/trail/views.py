"""The citizen portal: "Your data" (every use of it, in plain English), checking a record
against the signed log, the proof and trail key downloads, and the citizen's own choices."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sharewell.config import Settings
from sharewell.consent.vocabulary import ConsentStatus
from sharewell.ledger.keys import load_signer
from sharewell.ledger.note import Signer
from sharewell.paging import Paged
from sharewell.trail import choices as citizen_choices
from sharewell.trail import services as trail
from sharewell.trail.choices import ChoiceUnavailable
from sharewell.trail.services import TrailFilters
from sharewell.trail.wording import OUTCOME_TAGS
from sharewell.web.access import public
from sharewell.web.deps import LogIndex, SessionDep
from sharewell.web.sessions import SignedInCitizen, citizen_if_signed_in, csrf_protected
from sharewell.web.templating import pagination, render

router = APIRouter(default_response_class=HTMLResponse)
AgreementId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$")]
FilterValue = Annotated[str | None, Query(max_length=100)]
PAGE_SIZE = 50


def _signer(request: Request) -> Signer:
    settings: Settings = request.app.state.settings
    return load_signer(settings)


def _chosen(value: str | None) -> str | None:
    return value or None  # the form's "All" sends an empty value


@router.get("/your-data")
def your_data(
    request: Request,
    session: SessionDep,
    citizen: SignedInCitizen,
    organisation: FilterValue = None,
    purpose: FilterValue = None,
    outcome: FilterValue = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    filters = TrailFilters(_chosen(organisation), _chosen(purpose), _chosen(outcome))
    found = trail.trail_for(session, citizen.subject_id, filters)
    paged = Paged(page=page, per_page=PAGE_SIZE, total=len(found.entries))
    if page > paged.pages:
        paged = Paged(page=paged.pages, per_page=PAGE_SIZE, total=len(found.entries))
    chosen = {
        name: value
        for name, value in (
            ("organisation", filters.organisation),
            ("purpose", filters.purpose),
            ("outcome", filters.outcome),
        )
        if value
    }
    return render(
        request,
        "citizen/your_data.html",
        {
            "title": "Your data",
            "citizen": citizen,
            "trail": found,
            "entries": found.entries[paged.offset : paged.offset + PAGE_SIZE],
            "filters": filters,
            "filtered": filters != TrailFilters(),
            "pagination": pagination(paged, "/your-data", chosen),
            "outcome_tags": OUTCOME_TAGS,
        },
        status_code=200,
    )


@router.get("/your-data/entries/{index}")
def entry(
    request: Request, session: SessionDep, citizen: SignedInCitizen, index: LogIndex
) -> Response:
    found = trail.entry_for(session, citizen.subject_id, index)
    return render(
        request,
        "citizen/entry.html",
        {
            "title": found.headline,
            "citizen": citizen,
            "entry": found,
            "outcome_tags": OUTCOME_TAGS,
        },
    )


@router.get("/your-data/entries/{index}/check")
def check(
    request: Request, session: SessionDep, citizen: SignedInCitizen, index: LogIndex
) -> Response:
    found = trail.entry_for(session, citizen.subject_id, index)
    result = trail.check_entry(session, citizen.subject_id, index, _signer(request).verifier())
    if result.included:
        title = "This record is in the public log"
    elif result.pending:
        title = "This record is not in a signed checkpoint yet"
    else:
        title = "This record could not be checked"
    return render(
        request,
        "citizen/check.html",
        {"title": title, "citizen": citizen, "entry": found, "result": result},
    )


@router.get("/your-data/entries/{index}/proof.json")
def proof(
    request: Request, session: SessionDep, citizen: SignedInCitizen, index: LogIndex
) -> Response:
    bundle = trail.proof_bundle(session, citizen.subject_id, index, _signer(request).vkey)
    return Response(
        json.dumps(bundle, indent=2) + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="sharewell-record-{index}-proof.json"'
        },
    )


@router.get("/your-data/trail-key", response_class=PlainTextResponse)
def trail_key(request: Request, session: SessionDep, citizen: SignedInCitizen) -> Response:
    text = trail.trail_key_file(session, citizen.subject_id, _signer(request).name)
    return Response(
        text,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="sharewell-trail-key.json"'},
    )


@router.get("/your-data/trail-key/new")
def confirm_new_trail_key(request: Request, citizen: SignedInCitizen) -> Response:
    return render(
        request, "citizen/new_trail_key.html", {"title": "Get a new trail key", "citizen": citizen}
    )


@router.post("/your-data/trail-key/new", dependencies=[Depends(csrf_protected)])
def new_trail_key(session: SessionDep, citizen: SignedInCitizen) -> Response:
    trail.new_trail_key(session, citizen.subject_id)
    return RedirectResponse("/your-data/how-to-check?key=new", status_code=303)


@router.get("/your-data/how-to-check", dependencies=[Depends(public)])
def how_to_check(
    request: Request,
    session: SessionDep,
    key: Annotated[str | None, Query(pattern="^new$")] = None,
) -> Response:
    citizen = citizen_if_signed_in(request, session)
    return render(
        request,
        "citizen/how_to_check.html",
        {
            "title": "How to check your record is complete",
            "log_url": str(request.base_url) + "log",
            "citizen": citizen,
            "new_key": key == "new" and citizen is not None,
        },
    )


@router.get("/your-data/choices")
def choices(request: Request, session: SessionDep, citizen: SignedInCitizen) -> Response:
    return render(
        request,
        "citizen/choices.html",
        {
            "title": "Your choices about sharing",
            "citizen": citizen,
            "choices": citizen_choices.choices_for(session, citizen.subject_id),
            "outcome_tags": OUTCOME_TAGS,
        },
    )


StateParam = Annotated[str, Path(pattern="^(granted|withdrawn|objected)$")]


def _confirm_page(
    request: Request,
    session: Session,
    citizen: SignedInCitizen,
    agreement_id: str,
    state: str,
    *,
    error: str | None = None,
) -> Response:
    choice = citizen_choices.choice_for(session, citizen.subject_id, agreement_id)
    action = next((a for a in choice.actions if a.state == state), None)
    return render(
        request,
        "citizen/choice_confirm.html",
        {
            "title": action.confirm if action else f"“{choice.title}”",
            "citizen": citizen,
            "choice": choice,
            "action": action,
            "state": state,
            "has_errors": error is not None or action is None,
            "error": error
            or (None if action else "This change is not available for this agreement now."),
            "granting": state == ConsentStatus.GRANTED,
        },
        status_code=200 if action and not error else 422,
    )


@router.get("/your-data/choices/recorded/{index}")
def choice_recorded(
    request: Request, session: SessionDep, citizen: SignedInCitizen, index: LogIndex
) -> Response:
    found = trail.entry_for(session, citizen.subject_id, index)
    return render(
        request,
        "citizen/choice_done.html",
        {"title": "Your choice is recorded", "citizen": citizen, "entry": found},
    )


@router.get("/your-data/choices/{agreement_id}/{state}")
def confirm_choice(
    request: Request,
    session: SessionDep,
    citizen: SignedInCitizen,
    agreement_id: AgreementId,
    state: StateParam,
) -> Response:
    return _confirm_page(request, session, citizen, agreement_id, state)


@router.post("/your-data/choices/{agreement_id}/{state}", dependencies=[Depends(csrf_protected)])
def make_choice(
    request: Request,
    session: SessionDep,
    citizen: SignedInCitizen,
    agreement_id: AgreementId,
    state: StateParam,
) -> Response:
    try:
        record = citizen_choices.make_choice(session, citizen.subject_id, agreement_id, state)
    except ChoiceUnavailable as refused:
        return _confirm_page(request, session, citizen, agreement_id, state, error=refused.message)
    return RedirectResponse(f"/your-data/choices/recorded/{record.ledger_index}", status_code=303)
