"""Every route says who may use it; public ones say so explicitly (after GOV.UK Notify)."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sharewell.broker.client_auth import signed_client
from sharewell.web.access import public
from sharewell.web.sessions import signed_in_citizen, signed_in_staff

# Access markers: issue by issue the portals add theirs (citizen, staff roles, API clients).
ACCESS_MARKERS = {public, signed_client, signed_in_citizen, signed_in_staff}


def _calls(route: APIRoute) -> set[object]:
    stack = [route.dependant]
    found = set()
    while stack:
        dependant = stack.pop()
        if dependant.call is not None:
            found.add(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def test_every_route_declares_its_access(client: TestClient) -> None:
    routes = [r for r in client.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert routes
    undeclared = [r.path for r in routes if not _calls(r) & ACCESS_MARKERS]
    assert undeclared == [], f"routes without an access declaration: {undeclared}"


def test_openapi_document_is_served(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/register/agreements" in document["paths"]
