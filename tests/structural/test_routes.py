"""Every route says who may use it; public ones say so explicitly (after GOV.UK Notify)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from sharewell.broker.client_auth import signed_client
from sharewell.web.access import public
from sharewell.web.sessions import csrf_protected, signed_in_citizen, signed_in_staff

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


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, including those of included routers (FastAPI keeps those apart)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def test_every_route_declares_its_access(client: TestClient) -> None:
    routes = list(api_routes(client.app.routes))  # type: ignore[attr-defined]
    paths = {r.path for r in routes}
    # The walk must reach the routers' routes, or this test would pass by checking nothing.
    assert {"/your-data", "/staff/agreements", "/api/v1/decisions", "/log"} <= paths
    undeclared = [r.path for r in routes if not _calls(r) & ACCESS_MARKERS]
    assert undeclared == [], f"routes without an access declaration: {undeclared}"


def test_openapi_document_is_served(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/register/agreements" in document["paths"]


def test_every_form_post_checks_the_csrf_token(client: TestClient) -> None:
    """Browser forms post to the pages; machine clients sign their requests under /api/."""
    posts = [
        r
        for r in api_routes(client.app.routes)  # type: ignore[attr-defined]
        if "POST" in r.methods and not r.path.startswith("/api/")
    ]
    assert len(posts) > 10
    unprotected = [r.path for r in posts if csrf_protected not in _calls(r)]
    assert unprotected == [], f"form posts without a CSRF check: {unprotected}"
