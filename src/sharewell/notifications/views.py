"""The citizen's page for updates by email: see whether they are on, and turn them on or off.

The subject and the address come only from the citizen's sign-in, never from the form, so
nobody can change another person's choice or have their updates sent elsewhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sharewell.notifications import services as notifications
from sharewell.notifications.errors import EmailAddressInvalid
from sharewell.web.deps import SessionDep
from sharewell.web.sessions import SignedInCitizen, csrf_protected
from sharewell.web.templating import render

router = APIRouter(default_response_class=HTMLResponse)
PAGE = "/your-data/notifications"
TITLE = "Updates by email"
CHOICES = {"on", "off"}
NO_CHOICE = "Select whether you want an email when your information is used"


def _form(
    request: Request,
    session: Session,
    citizen: SignedInCitizen,
    *,
    chosen: str | None = None,
    error: str | None = None,
) -> Response:
    preference = notifications.preference(session, citizen.subject_id)
    return render(
        request,
        "citizen/notifications.html",
        {
            "title": TITLE,
            "nav": "notifications",
            "citizen": citizen,
            "preference": preference,
            "chosen": chosen or ("on" if preference.opted_in else "off"),
            "error": error,
            "has_errors": error is not None,
        },
        status_code=422 if error else 200,
    )


@router.get(PAGE)
def notifications_page(request: Request, session: SessionDep, citizen: SignedInCitizen) -> Response:
    return _form(request, session, citizen)


@router.post(PAGE, dependencies=[Depends(csrf_protected)])
def change_notifications(
    request: Request,
    session: SessionDep,
    citizen: SignedInCitizen,
    choice: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    if choice not in CHOICES:
        return _form(request, session, citizen, error=NO_CHOICE)
    if choice == "on":
        try:
            notifications.opt_in(
                session, citizen.subject_id, citizen.email or "", dt.datetime.now(dt.UTC)
            )
        except EmailAddressInvalid as refused:
            return _form(request, session, citizen, chosen=choice, error=refused.message)
    else:
        notifications.opt_out(session, citizen.subject_id)
    return RedirectResponse(f"{PAGE}/saved", status_code=303)


@router.get(f"{PAGE}/saved")
def notifications_saved(
    request: Request, session: SessionDep, citizen: SignedInCitizen
) -> Response:
    preference = notifications.preference(session, citizen.subject_id)
    return render(
        request,
        "citizen/notifications_saved.html",
        {
            "title": "Updates by email are on"
            if preference.opted_in
            else "Updates by email are off",
            "nav": "notifications",
            "citizen": citizen,
            "preference": preference,
        },
    )
