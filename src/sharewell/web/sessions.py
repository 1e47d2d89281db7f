"""Browser sessions for the portals: a signed, HttpOnly, SameSite cookie; a CSRF token in it
for every form; and who is signed in, checked against the server's own session record.

The cookie (Starlette's ``SessionMiddleware``, signed with itsdangerous) carries only random
tokens: the CSRF token and, once signed in, the staff session token whose SHA-256 the server
keeps, so signing out ends the session everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import secrets
from collections.abc import Callable, Iterable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from sharewell.accounts import citizens
from sharewell.accounts import services as accounts
from sharewell.accounts.citizens import CitizenIdentity
from sharewell.accounts.services import SESSION_LIFETIME, StaffIdentity
from sharewell.config import Settings
from sharewell.errors import PermissionDenied, Unauthenticated
from sharewell.web.deps import SessionDep

COOKIE = "sharewell_session"
CSRF_FIELD = "csrf_token"
SECURE_COOKIES_ENV = "SHAREWELL_SECURE_COOKIES"


class SignInRequired(Unauthenticated):
    """A page was asked for without a signed-in session: the browser is sent to ``location``
    to sign in (staff by default)."""

    def __init__(
        self, message: str = "Sign in to use the staff pages.", location: str = "/staff/sign-in"
    ) -> None:
        super().__init__(message)
        self.location = location


class CitizenSignInRequired(SignInRequired):
    """A citizen page was asked for without a signed-in citizen: off to sign in, and back."""

    def __init__(self, path: str) -> None:
        super().__init__("Sign in to see your data.", "/sign-in?" + urlencode({"next": path}))


class CsrfTokenInvalid(PermissionDenied):
    """A form arrived without this browser's CSRF token: it may have come from another site."""

    def __init__(self) -> None:
        super().__init__(
            "The form could not be accepted because it did not come from this page.",
            hint="Go back, reload the page and try again. Nothing was changed.",
        )


def session_key(settings: Settings) -> str:
    """The secret that signs cookies, made once per installation (readable by its owner only)."""
    path = settings.home / "keys" / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def install_sessions(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key(settings),
        session_cookie=COOKIE,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        same_site="lax",
        # Off by default so the demo works on http://127.0.0.1; set it behind HTTPS.
        https_only=os.environ.get(SECURE_COOKIES_ENV, "off") == "on",
    )


def csrf_token(request: Request) -> str:
    """This browser's CSRF token, made on first use; every form carries it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protected(request: Request) -> None:
    """Refuse a form whose CSRF token is missing or not this browser's (nothing is written)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        raise CsrfTokenInvalid()
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfTokenInvalid()


def begin_citizen_session(request: Request, token: str) -> None:
    """After sign-in: only the citizen's session and a fresh CSRF token."""
    request.session.clear()
    request.session["citizen"] = token
    request.session["csrf"] = secrets.token_urlsafe(32)


def citizen_if_signed_in(request: Request, session: Session) -> CitizenIdentity | None:
    """For public pages that say more to a signed-in citizen."""
    token = request.session.get("citizen")
    if not isinstance(token, str):
        return None
    return citizens.signed_in(session, token, now=dt.datetime.now(dt.UTC))


def signed_in_citizen(request: Request, session: SessionDep) -> CitizenIdentity:
    """The citizen signed in on this browser; the access marker of citizen pages."""
    identity = citizen_if_signed_in(request, session)
    if identity is None:
        raise CitizenSignInRequired(request.url.path)
    return identity


SignedInCitizen = Annotated[CitizenIdentity, Depends(signed_in_citizen)]


def begin_staff_session(request: Request, token: str) -> None:
    """After sign-in: a fresh CSRF token (nothing from before sign-in carries over)."""
    request.session.clear()
    request.session["staff"] = token
    request.session["csrf"] = secrets.token_urlsafe(32)


def signed_in_staff(request: Request, session: SessionDep) -> StaffIdentity:
    """The member of staff signed in on this browser; the access marker of staff pages."""
    token = request.session.get("staff")
    identity = (
        accounts.signed_in(session, token, now=dt.datetime.now(dt.UTC))
        if isinstance(token, str)
        else None
    )
    if identity is None:
        raise SignInRequired()
    return identity


SignedInStaff = Annotated[StaffIdentity, Depends(signed_in_staff)]


def staff_with_role(roles: Iterable[str]) -> Callable[[StaffIdentity], StaffIdentity]:
    allowed = frozenset(roles)

    def check(staff: SignedInStaff) -> StaffIdentity:
        if staff.role not in allowed:
            raise PermissionDenied(
                f"Your role ({staff.role}) cannot use this page.",
                hint=f"It is for: {', '.join(sorted(allowed))}.",
            )
        return staff

    return check
