"""Citizen sign-in through OpenID Connect (GOV.UK One Login, or the demo's local provider),
and sign-out. The provider says who the person is; Sharewell never sees a password."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sharewell.accounts import citizens, oidc
from sharewell.config import Settings
from sharewell.errors import Busy, SharewellError
from sharewell.web.access import public
from sharewell.web.deps import SessionDep
from sharewell.web.sessions import SignedInCitizen, begin_citizen_session, csrf_protected
from sharewell.web.templating import render

router = APIRouter(default_response_class=HTMLResponse)
PENDING_SECONDS = 600  # from leaving for the provider to coming back
HOME = "/your-data"
NextPath = Annotated[str | None, Query(alias="next", max_length=500)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _redirect_uri(request: Request) -> str:
    configured = _settings(request).oidc.redirect_uri
    return configured or str(request.url_for("citizen_callback"))


def safe_next(value: str | None) -> str:
    """Only a path on this site: never another site, so sign-in cannot be an open redirect."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return HOME
    return value


@router.get("/sign-in", dependencies=[Depends(public)])
def sign_in(request: Request, next_path: NextPath = None) -> Response:
    return render(
        request,
        "citizen/sign_in.html",
        {"title": "Sign in to see how your data is used", "next": safe_next(next_path)},
    )


def _sign_in_problem(request: Request, problem: SharewellError, next_path: str) -> Response:
    """Why nobody was signed in, and the way back to try again (never a half sign-in)."""
    unavailable = isinstance(problem, oidc.SignInServiceUnavailable)
    response = render(
        request,
        "citizen/sign_in_error.html",
        {
            "title": "The sign-in service is not answering"
            if unavailable
            else "You are not signed in",
            "message": problem.message,
            # A refusal's hint only says to try again: the page's link does that.
            "hint": problem.hint if unavailable else None,
            "next": next_path,
        },
        status_code=503 if unavailable else 401,
    )
    if isinstance(problem, Busy):
        response.headers["Retry-After"] = str(problem.retry_after)
    return response


@router.get("/sign-in/start", dependencies=[Depends(public)])
def start(request: Request, next_path: NextPath = None) -> Response:
    try:
        url, pending = oidc.begin(_settings(request).oidc, _redirect_uri(request))
    except oidc.SignInServiceUnavailable as unavailable:
        return _sign_in_problem(request, unavailable, safe_next(next_path))
    request.session["oidc"] = {
        **pending.to_session(),
        "next": safe_next(next_path),
        "since": int(time.time()),
    }
    return RedirectResponse(url, status_code=302)


@router.get("/sign-in/callback", name="citizen_callback", dependencies=[Depends(public)])
def callback(request: Request, session: SessionDep) -> Response:
    stored = request.session.pop("oidc", None)
    fresh = isinstance(stored, dict) and time.time() - int(stored.get("since", 0)) < PENDING_SECONDS
    pending = oidc.PendingSignIn.from_session(stored) if fresh else None
    params = {k: v for k, v in request.query_params.items() if len(v) < 4096}
    destination = safe_next(str(stored.get("next")) if isinstance(stored, dict) else None)
    now = dt.datetime.now(dt.UTC)
    try:
        claims = oidc.finish(_settings(request).oidc, _redirect_uri(request), pending, params)
        account = citizens.link_account(session, claims, now=now)
    except (oidc.SignInRefused, oidc.SignInServiceUnavailable) as problem:
        session.rollback()  # nobody is signed in, and nothing about them is kept
        return _sign_in_problem(request, problem, destination)
    begin_citizen_session(request, citizens.open_session(session, account, claims, now=now))
    return RedirectResponse(destination, status_code=303)


# Public: signing out when already signed out (the session expired while the page was open)
# is harmless and should say the same thing, not ask the person to sign in first.
@router.post("/sign-out", dependencies=[Depends(public), Depends(csrf_protected)])
def sign_out(request: Request, session: SessionDep) -> Response:
    token = request.session.get("citizen")
    if isinstance(token, str):
        citizens.close_session(session, token, now=dt.datetime.now(dt.UTC))
    request.session.clear()
    return render(request, "citizen/signed_out.html", {"title": "You have signed out"})


@router.get("/account")
def account(request: Request, citizen: SignedInCitizen) -> Response:
    return render(request, "citizen/account.html", {"title": "Your account", "citizen": citizen})
