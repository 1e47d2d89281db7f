"""The administrator's pages for API clients: the systems of their own organisation that sign
requests to the broker, registered by pasting a public key and revoked with a confirmation.

The same services as `sharewell clients …`; an administrator sees and changes only their own
organisation's clients (another organisation's key id is not found)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sharewell.accounts.services import StaffIdentity
from sharewell.broker import client_auth
from sharewell.broker.errors import ApiClientInputInvalid, ApiClientKeyTaken, ApiClientNotFound
from sharewell.broker.models import ApiClient
from sharewell.web.deps import SessionDep
from sharewell.web.sessions import csrf_protected, staff_with_role
from sharewell.web.templating import render

router = APIRouter(default_response_class=HTMLResponse)
Admin = Annotated[StaffIdentity, Depends(staff_with_role(["admin"]))]
# A PEM Ed25519 public key is 113 characters; this leaves room for whitespace and comments.
PUBLIC_KEY_MAX_LENGTH = 5_000
STATUS_TAGS = {
    "active": {"text": "Active", "classes": "govuk-tag--green"},
    "revoked": {"text": "Revoked", "classes": "govuk-tag--red"},
}


def _own_client(session: Session, staff: StaffIdentity, key_id: str) -> ApiClient:
    """One of this organisation's clients; another organisation's is not found, the same way
    as a key id nobody registered."""
    client = client_auth.get_client(session, key_id)
    if client.organisation_id != staff.organisation:
        raise ApiClientNotFound(key_id)
    return client


def _client_view(client: ApiClient) -> dict[str, Any]:
    return {
        "name": client.name,
        "key_id": client.key_id,
        "status": client.status,
        "active": client.is_active,
        "created_at": client.created_at,
        "revoked_at": client.revoked_at,
    }


@router.get("/staff/api-clients")
def api_clients(request: Request, session: SessionDep, staff: Admin) -> Response:
    return render(
        request,
        "staff/admin/api_clients.html",
        {
            "title": "Your organisation's API clients",
            "staff": staff,
            "clients": [
                _client_view(c) for c in client_auth.list_clients(session, staff.organisation)
            ],
            "status_tags": STATUS_TAGS,
        },
    )


def _new_client_form(
    request: Request,
    staff: StaffIdentity,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "staff/admin/api_client_new.html",
        {
            "title": "Register an API client",
            "staff": staff,
            "values": {"name": "", "public_key": "", **(values or {})},
            "errors": errors or {},
            "has_errors": bool(errors),
        },
        status_code=422 if errors else 200,
    )


@router.get("/staff/api-clients/new")
def new_client_form(request: Request, staff: Admin) -> Response:
    return _new_client_form(request, staff)


def _name_error(name: str) -> str | None:
    if not name:
        return "Enter a name people will recognise, like Housing system"
    if len(name) > client_auth.NAME_MAX_LENGTH:
        return f"The name must be {client_auth.NAME_MAX_LENGTH} characters or fewer"
    return None


@router.post("/staff/api-clients/new", dependencies=[Depends(csrf_protected)])
def register_client(
    request: Request,
    session: SessionDep,
    staff: Admin,
    name: Annotated[str, Form()] = "",
    public_key: Annotated[str, Form()] = "",
) -> Response:
    values = {"name": name.strip(), "public_key": public_key.strip()}
    errors: dict[str, str] = {}
    if problem := _name_error(values["name"]):
        errors["name"] = problem
    raw: bytes | None = None
    if not values["public_key"]:
        errors["public_key"] = "Paste the system's Ed25519 public key"
    elif len(values["public_key"]) > PUBLIC_KEY_MAX_LENGTH:
        errors["public_key"] = "That is far longer than an Ed25519 public key: paste only the key"
    else:
        try:
            raw = client_auth.parse_public_key(values["public_key"].encode("utf-8"))
        except ApiClientInputInvalid as invalid:
            errors["public_key"] = invalid.message
    if errors or raw is None:
        return _new_client_form(request, staff, values=values, errors=errors)
    try:
        client = client_auth.register_client(
            session, organisation_id=staff.organisation, name=values["name"], public_key=raw
        )
    except ApiClientKeyTaken:
        errors["public_key"] = (
            "This key is already registered (perhaps revoked). A key is registered once and "
            "never reused: make a new key pair for this system"
        )
        return _new_client_form(request, staff, values=values, errors=errors)
    return RedirectResponse(f"/staff/api-clients/{client.key_id}?done=registered", status_code=303)


@router.get("/staff/api-clients/{key_id}")
def api_client(
    request: Request,
    session: SessionDep,
    staff: Admin,
    key_id: str,
    done: str = "",
) -> Response:
    client = _own_client(session, staff, key_id)
    return render(
        request,
        "staff/admin/api_client.html",
        {
            "title": client.name,
            "staff": staff,
            "client": _client_view(client),
            "status_tags": STATUS_TAGS,
            "done": done,
        },
    )


@router.get("/staff/api-clients/{key_id}/revoke")
def revoke_confirmation(
    request: Request, session: SessionDep, staff: Admin, key_id: str
) -> Response:
    client = _own_client(session, staff, key_id)
    if not client.is_active:
        return RedirectResponse(f"/staff/api-clients/{client.key_id}", status_code=303)
    return render(
        request,
        "staff/admin/api_client_revoke.html",
        {"title": f"Revoke {client.name}?", "staff": staff, "client": _client_view(client)},
    )


@router.post("/staff/api-clients/{key_id}/revoke", dependencies=[Depends(csrf_protected)])
def revoke(request: Request, session: SessionDep, staff: Admin, key_id: str) -> Response:
    client = _own_client(session, staff, key_id)
    client_auth.revoke_client(session, client.key_id)
    return RedirectResponse(f"/staff/api-clients/{client.key_id}?done=revoked", status_code=303)
