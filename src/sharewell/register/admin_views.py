"""The administrator's pages: the organisations in the register, and their own organisation's
staff – adding someone, and giving them a new password and authenticator key."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sharewell.accounts import administration
from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.errors import StaffEmailTaken
from sharewell.accounts.services import StaffIdentity
from sharewell.accounts.staff import StaffMember
from sharewell.register import services as register
from sharewell.register.vocabulary import Role
from sharewell.web.deps import RowId, SessionDep
from sharewell.web.sessions import csrf_protected, staff_with_role
from sharewell.web.templating import render

router = APIRouter(default_response_class=HTMLResponse)
Admin = Annotated[StaffIdentity, Depends(staff_with_role(["admin"]))]

ROLE_DESCRIPTIONS = {
    Role.OFFICER: "Asks for information about people and sees the decisions",
    Role.DPO: "Data protection officer: manages agreements, sees consents and refusals",
    Role.AUDITOR: "Checks the transparency log",
    Role.ADMIN: "Adds staff and registers the organisation's API clients",
}
# The register's own rule (register.schemas.Email), with messages a person can act on.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 320
NAME_MAX_LENGTH = 300
# The one page whose content must never be kept by a browser or a proxy.


# --------------------------------------------------------------------------- organisations


@router.get("/staff/organisations")
def organisations(request: Request, session: SessionDep, staff: Admin) -> Response:
    return render(
        request,
        "staff/admin/organisations.html",
        {
            "title": "Organisations in the register",
            "staff": staff,
            "organisations": register.organisation_overviews(session),
        },
    )


@router.get("/staff/organisations/{organisation_id}")
def organisation(
    request: Request, session: SessionDep, staff: Admin, organisation_id: str
) -> Response:
    found = register.get_organisation(session, organisation_id)
    return render(
        request,
        "staff/admin/organisation.html",
        {
            "title": found.name,
            "staff": staff,
            "organisation": found,
            "datasets": [
                {
                    "key": d.key,
                    "title": d.title,
                    "description": d.description,
                    "fields": [(f.name, f.title, f.type, f.sensitivity) for f in d.fields],
                }
                for d in found.datasets
            ],
            "staff_count": len(staff_accounts.staff_of(session, found.id)),
        },
    )


# --------------------------------------------------------------------------- staff


def _user_view(user: StaffMember, state: administration.SignInState) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "has_credentials": state.has_credentials,
        "locked_until": state.locked_until,
    }


@router.get("/staff/users")
def users(request: Request, session: SessionDep, staff: Admin) -> Response:
    members = staff_accounts.staff_of(session, staff.organisation)
    states = administration.sign_in_states(
        session, [u.id for u in members], now=dt.datetime.now(dt.UTC)
    )
    return render(
        request,
        "staff/admin/users.html",
        {
            "title": "Your organisation's staff",
            "staff": staff,
            "users": [_user_view(u, states[u.id]) for u in members],
        },
    )


def _new_user_form(
    request: Request,
    staff: StaffIdentity,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "staff/admin/user_new.html",
        {
            "title": "Add a member of staff",
            "staff": staff,
            "roles": [(role.value, ROLE_DESCRIPTIONS[role]) for role in Role],
            "values": {"email": "", "name": "", "role": "", **(values or {})},
            "errors": errors or {},
            "has_errors": bool(errors),
        },
        status_code=422 if errors else 200,
    )


@router.get("/staff/users/new")
def new_user_form(request: Request, staff: Admin) -> Response:
    return _new_user_form(request, staff)


def _new_user_errors(email: str, name: str, role: str) -> dict[str, str]:
    errors = {}
    if not email:
        errors["email"] = "Enter their work email address"
    elif len(email) > EMAIL_MAX_LENGTH or not _EMAIL.match(email):
        errors["email"] = "Enter an email address in the correct format, like name@example.org"
    if not name:
        errors["name"] = "Enter their full name"
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = f"Their name must be {NAME_MAX_LENGTH} characters or fewer"
    if role not in {r.value for r in Role}:
        errors["role"] = "Choose what they will do in Sharewell"
    return errors


@router.post("/staff/users/new", dependencies=[Depends(csrf_protected)])
def add_user(
    request: Request,
    session: SessionDep,
    staff: Admin,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    values = {"email": email.strip(), "name": name.strip(), "role": role}
    errors = _new_user_errors(values["email"], values["name"], role)
    if errors:
        return _new_user_form(request, staff, values=values, errors=errors)
    try:
        user = staff_accounts.add(
            session, staff.organisation, email=values["email"], name=values["name"], role=role
        )
    except StaffEmailTaken:
        errors = {"email": "A member of staff already has this email address"}
        return _new_user_form(request, staff, values=values, errors=errors)
    return RedirectResponse(f"/staff/users/{user.id}?added=1", status_code=303)


@router.get("/staff/users/{staff_user_id:int}")
def user(
    request: Request, session: SessionDep, staff: Admin, staff_user_id: RowId, added: bool = False
) -> Response:
    member = staff_accounts.member_of(session, staff.organisation, staff_user_id)
    state = administration.sign_in_states(session, [member.id], now=dt.datetime.now(dt.UTC))
    return render(
        request,
        "staff/admin/user.html",
        {
            "title": member.name,
            "staff": staff,
            "user": _user_view(member, state[member.id]),
            "added": added,
        },
    )


@router.post("/staff/users/{staff_user_id:int}/credentials", dependencies=[Depends(csrf_protected)])
def new_credentials(
    request: Request, session: SessionDep, staff: Admin, staff_user_id: RowId
) -> Response:
    member = staff_accounts.member_of(session, staff.organisation, staff_user_id)
    issued = administration.issue_credentials(session, member.email, now=dt.datetime.now(dt.UTC))
    # Not a redirect: the password exists only in this response, never in a page to re-fetch.
    return render(
        request,
        "staff/admin/credentials.html",
        {
            "title": f"New sign-in details for {member.name}",
            "staff": staff,
            "user": {"id": member.id, "name": member.name},
            "issued": issued,
            "yourself": member.id == staff.id,
        },
    )
