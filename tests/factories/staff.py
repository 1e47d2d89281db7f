"""Signing staff in through the real pages (password, then a fresh TOTP code), for page tests."""

from __future__ import annotations

import datetime as dt
import re
import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sharewell import db
from sharewell.accounts import services as accounts
from sharewell.accounts import staff as staff_accounts
from web.pages import check_page

PASSWORD = "correct horse battery staple"


def enrol_all_staff(session: Session) -> None:
    """Give every member of staff in the register PASSWORD and a TOTP secret."""
    for user in staff_accounts.everyone(session):
        accounts.set_credentials(session, user.email, PASSWORD)


def browser(app: FastAPI) -> TestClient:
    """A browser of its own: its own cookie jar."""
    return TestClient(app, base_url="https://sharewell.test", follow_redirects=False)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form has no CSRF token"
    return match.group(1)


class _Unused(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


def fresh_code(engine: Engine, email: str) -> str:
    """A code this member of staff has not used yet (a code works once)."""
    with db.transaction(engine) as session:
        user = staff_accounts.by_email(session, email)
        # Oldest first, so several sign-ins fit in one window; but not the last step's code
        # near a step boundary: once the boundary passes before it is sent, it is too old.
        near_boundary = 30 - time.time() % 30 < 5
        for steps in (0, 1) if near_boundary else (-1, 0, 1):
            moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30 * steps)
            code = accounts.current_code(session, email, now=moment)
            try:
                with session.begin_nested():
                    accounts.check_code(session, user.id, code, now=dt.datetime.now(dt.UTC))
                    raise _Unused(code)  # roll the check back: the test signs in with it
            except _Unused:
                return code
            except accounts.CodeRefused:
                continue
    raise AssertionError("no unused code in the window")


def sign_in(app: FastAPI, engine: Engine, email: str) -> TestClient:
    """A browser signed in as this member of staff (who must have PASSWORD)."""
    client = browser(app)
    form = client.get("/staff/sign-in")
    check_page(form.text)
    sent = client.post(
        "/staff/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf(form.text)},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/staff/sign-in/code"
    page = client.get("/staff/sign-in/code")
    check_page(page.text)
    done = client.post(
        "/staff/sign-in/code",
        data={"code": fresh_code(engine, email), "csrf_token": csrf(page.text)},
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/staff"
    return client
