"""The one place domain errors become HTTP: a GOV.UK error page, or RFC 9457 problem+json."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from sharewell.errors import (
    Busy,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    SharewellError,
    Unauthenticated,
)
from sharewell.ledger.errors import LedgerBusy
from sharewell.ledger.services import is_lock_timeout
from sharewell.web.sessions import SignInRequired

STATUS_FOR: list[tuple[type[SharewellError], int]] = [
    (Busy, 503),
    (InvalidInput, 422),
    (NotFound, 404),
    (Unauthenticated, 401),
    (PermissionDenied, 403),
    (Conflict, 409),
    (SharewellError, 500),
]

PAGE_TITLES = {
    404: "Page not found",
    401: "You need to prove who you are",
    403: "You cannot do that",
    503: "The service is busy",
    409: "That clashes with what is already there",
    422: "There is a problem with what you sent",
    500: "Sorry, there is a problem with the service",
}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/log/")) or path.endswith(".json")


def problem(status: int, detail: str, *, errors: list[dict[str, str]] | None = None) -> Response:
    body: dict[str, object] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


# The way back that fits where the person was: staff to their pages, a resident to their data.
WAYS_BACK: list[tuple[tuple[str, ...], str, str]] = [
    (("/staff",), "/staff", "Go to the staff pages"),
    (("/your-data", "/account", "/sign-in", "/sign-out"), "/your-data", "Go to your data"),
    (("/log",), "/log", "Go to the transparency log"),
    (("/register",), "/register", "Go to the register of agreements"),
]


def way_back(path: str) -> tuple[str, str]:
    for prefixes, href, text in WAYS_BACK:
        if path.startswith(prefixes):
            return href, text
    return "/", "Go to the Sharewell home page"


def _page(request: Request, status: int, message: str, hint: str | None = None) -> Response:
    templates = request.app.state.templates
    back_href, back_text = way_back(request.url.path)
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "error.html",
        {
            "title": PAGE_TITLES.get(status, HTTPStatus(status).phrase),
            "message": message,
            "hint": hint,
            "nav": None,
            "back_href": back_href,
            "back_text": back_text,
        },
        status_code=status,
    )


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, SharewellError)
    if isinstance(error, SignInRequired) and not _wants_json(request):
        return RedirectResponse(error.location, status_code=303)
    status = next(code for kind, code in STATUS_FOR if isinstance(error, kind))
    if _wants_json(request):
        problems = getattr(error, "problems", [])
        response = problem(
            status,
            error.diagnostics() if not problems else error.message,
            errors=[{"detail": p} for p in problems] or None,
        )
    else:
        response = _page(request, status, error.message, error.hint)
    if isinstance(error, Busy):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


NOT_FOUND_HINT = (
    "If you typed the web address, check it is correct. If you pasted it, check you copied "
    "the whole address. If you followed a link, what it pointed to may have been withdrawn."
)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    detail = str(error.detail) if error.status_code != 404 else NOT_FOUND_HINT
    if _wants_json(request):
        return problem(error.status_code, detail)
    return _page(request, error.status_code, detail)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"pointer": "/" + "/".join(str(p) for p in e["loc"]), "detail": str(e["msg"])}
        for e in error.errors()
    ]
    if any(e["loc"][:1] == ("path",) for e in error.errors()):
        # An address that names nothing (not a number, or a number nothing could have) is a
        # page that does not exist, not a form to correct.
        return await _http_error(request, HTTPException(404))
    summary = "; ".join(f"{e['pointer']}: {e['detail']}" for e in errors)
    if _wants_json(request):
        return problem(422, f"The request is not valid: {summary}", errors=errors)
    names = ", ".join(dict.fromkeys(str(e["loc"][-1]) for e in error.errors()))
    return _page(
        request,
        422,
        f"Something in the web address or the form was not as this service expects ({names}).",
        "Go back to the page you came from and try again.",
    )


async def _database_busy(request: Request, error: Exception) -> Response:
    """A database lock not granted in time is overload: 503 and when to retry, never a 500."""
    assert isinstance(error, OperationalError)
    if not is_lock_timeout(error):
        raise error
    return await _domain_error(request, LedgerBusy(retry_after=1))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SharewellError, _domain_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OperationalError, _database_busy)
