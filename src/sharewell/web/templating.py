"""Jinja with the GOV.UK Frontend macros, and the filters our pages share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape

from sharewell.broker.wording import Audience, explain
from sharewell.paging import Paged
from sharewell.register.vocabulary import (
    ORGANISATION_KIND_TITLES,
    PURPOSE_TITLES,
    ROLE_TITLES,
    Purpose,
)
from sharewell.web.sessions import csrf_token

TEMPLATES_DIR = Path(__file__).parent / "templates"


def govuk_date(value: dt.date | dt.datetime | None) -> str:
    """Dates the GOV.UK way: 1 April 2026."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def purpose_title(code: str) -> str:
    try:
        return PURPOSE_TITLES[Purpose(code)]
    except ValueError:
        return code


def reasons_for_staff(outcome: str, reasons: Iterable[Any]) -> tuple[str, ...]:
    """A decision's reasons in staff words (each reason has its ``code``)."""
    return explain(outcome, [str(r.code) for r in reasons], Audience.STAFF)


def role_title(code: str) -> str:
    return ROLE_TITLES.get(code, humanise(code))


def organisation_kind_title(code: str) -> str:
    return ORGANISATION_KIND_TITLES.get(code, humanise(code))


def humanise(value: str) -> str:
    """`use_power` → `Use power`, for vocabulary shown to people."""
    text = value.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def pagination(
    paged: Paged, path: str, params: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """The GOV.UK pagination component's parameters: the first, last and nearby pages, each
    link keeping the page's other query parameters (its filters)."""
    if paged.pages == 1:
        return None

    def href(number: int) -> str:
        return f"{path}?{urlencode({**(params or {}), 'page': number})}"

    shown = sorted(
        {1, paged.pages, *range(max(1, paged.page - 1), min(paged.pages, paged.page + 1) + 1)}
    )
    items: list[dict[str, Any]] = []
    for number in shown:
        if items and number > items[-1].get("number", 0) + 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == paged.page})
    return {
        "items": items,
        "previous": {"href": href(paged.page - 1)} if paged.page > 1 else None,
        "next": {"href": href(paged.page + 1)} if paged.page < paged.pages else None,
    }


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> Response:
    """A page, with what every portal page needs: the form's CSRF token and who is signed in."""
    response: Response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {"csrf_token": csrf_token(request), "nav": None, **context},
        status_code=status_code,
    )
    return response


def build_templates() -> Jinja2Templates:
    environment = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("sharewell.web", "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["govuk_date"] = govuk_date
    environment.filters["purpose_title"] = purpose_title
    environment.filters["humanise"] = humanise
    environment.filters["role_title"] = role_title
    environment.filters["organisation_kind"] = organisation_kind_title
    environment.globals["reasons_for_staff"] = reasons_for_staff
    return Jinja2Templates(env=environment)
