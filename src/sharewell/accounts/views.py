"""Staff sign-in: email and password, then the code from an authenticator app; sign-out."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sharewell.accounts import services as accounts
from sharewell.accounts.errors import CodeRefused, SignInFailed
from sharewell.web.access import public
from sharewell.web.deps import SessionDep
from sharewell.web.sessions import (
    SignedInStaff,
    begin_staff_session,
    csrf_protected,
)
from sharewell.web.templating import render

router = APIRouter(default_response_class=HTMLResponse)
PENDING_SECONDS = 300  # between the password and the code


@router.get("/staff/sign-in", dependencies=[Depends(public)])
def sign_in_form(request: Request) -> Response:
    return render(request, "staff/sign_in.html", {"title": "Sign in to Sharewell", "email": ""})


@router.post("/staff/sign-in", dependencies=[Depends(public), Depends(csrf_protected)])
def sign_in(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        staff = accounts.check_password(session, email, password, now=dt.datetime.now(dt.UTC))
    except SignInFailed as failed:
        return render(
            request,
            "staff/sign_in.html",
            {
                "title": "Sign in to Sharewell",
                "email": email,
                "has_errors": True,
                "error": failed.message,
            },
            status_code=401,
        )
    request.session.clear()
    request.session["pending_staff"] = staff.id
    request.session["pending_since"] = int(time.time())
    return RedirectResponse("/staff/sign-in/code", status_code=303)


def _pending(request: Request) -> int | None:
    staff_id = request.session.get("pending_staff")
    since = request.session.get("pending_since")
    if not isinstance(staff_id, int) or not isinstance(since, int):
        return None
    if time.time() - since > PENDING_SECONDS:
        return None
    return staff_id


@router.get("/staff/sign-in/code", dependencies=[Depends(public)])
def code_form(request: Request) -> Response:
    if _pending(request) is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    return render(request, "staff/code.html", {"title": "Enter your security code"})


@router.post("/staff/sign-in/code", dependencies=[Depends(public), Depends(csrf_protected)])
def check_code(
    request: Request, session: SessionDep, code: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    staff_id = _pending(request)
    if staff_id is None:
        return RedirectResponse("/staff/sign-in", status_code=303)
    now = dt.datetime.now(dt.UTC)
    try:
        accounts.check_code(session, staff_id, code, now=now)
    except CodeRefused as refused:
        return render(
            request,
            "staff/code.html",
            {
                "title": "Enter your security code",
                "has_errors": True,
                "error": refused.message,
            },
            status_code=401,
        )
    begin_staff_session(request, accounts.open_session(session, staff_id, now=now))
    return RedirectResponse("/staff", status_code=303)


@router.post("/staff/sign-out", dependencies=[Depends(csrf_protected)])
def sign_out(request: Request, session: SessionDep, staff: SignedInStaff) -> Response:
    token = request.session.get("staff")
    if isinstance(token, str):
        accounts.close_session(session, token, now=dt.datetime.now(dt.UTC))
    request.session.clear()
    return render(request, "staff/signed_out.html", {"title": "You have signed out"})


@router.get("/staff")
def staff_home(request: Request, staff: SignedInStaff) -> Response:
    return render(request, "staff/home.html", {"title": "Staff pages", "staff": staff})
