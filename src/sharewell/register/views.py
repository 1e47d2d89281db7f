"""The public register's pages: agreements, gateways and benefit rules. No personal data."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from sharewell.register import services
from sharewell.register.models import Agreement, BenefitAmount, BenefitRule
from sharewell.register.vocabulary import AgreementStatus
from sharewell.web.access import public
from sharewell.web.deps import SessionDep

router = APIRouter(dependencies=[Depends(public)], default_response_class=HTMLResponse)

STATUS_TAGS = {
    AgreementStatus.ACTIVE: {"text": "In force", "classes": "govuk-tag--green"},
    AgreementStatus.SUSPENDED: {"text": "Suspended", "classes": "govuk-tag--orange"},
    AgreementStatus.EXPIRED: {"text": "Expired", "classes": "govuk-tag--grey"},
    AgreementStatus.DRAFT: {"text": "Draft", "classes": "govuk-tag--blue"},
}


def status_tag(status: str) -> dict[str, str]:
    return STATUS_TAGS[AgreementStatus(status)]


def _render(request: Request, template: str, context: dict[str, Any]) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, {"status_tag": status_tag, **context}
    )
    return response


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    return _render(
        request,
        "public/home.html",
        {
            "title": "Follow how your benefit information is shared",
            "nav": None,
            "active_count": len(services.published_agreements(session)),
        },
    )


@router.get("/register")
def register(
    request: Request,
    session: SessionDep,
    show: Annotated[list[str], Query()] = [],  # noqa: B006  (FastAPI reads the default)
) -> Response:
    include_inactive = "all" in show
    return _render(
        request,
        "public/register.html",
        {
            "title": "Register of information-sharing agreements",
            "nav": "register",
            "agreements": services.published_agreements(session, include_inactive=include_inactive),
            "include_inactive": include_inactive,
        },
    )


@router.get("/register/agreements/{agreement_id}.yaml")
def agreement_yaml(agreement_id: str, session: SessionDep) -> Response:
    published = services.published_agreement(session, agreement_id)
    return Response(
        services.export_agreements(session, [published.id]),
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{published.id}.yaml"'},
    )


@router.get("/register/agreements/{agreement_id}")
def agreement(request: Request, agreement_id: str, session: SessionDep) -> Response:
    published = services.published_agreement(session, agreement_id)
    stored = services.get_agreement(session, agreement_id)
    fields = [f for d in stored.discloser.datasets for f in d.fields]
    derived = session.get(Agreement, published.derived_from) if published.derived_from else None
    return _render(
        request,
        "public/agreement.html",
        {
            "title": published.title,
            "nav": "register",
            "agreement": published,
            "field_titles": {(f.dataset.key, f.name): f.title for f in fields},
            "field_sensitivity": {(f.dataset.key, f.name): f.sensitivity for f in fields},
            "derived_from_published": derived is not None
            and derived.status != AgreementStatus.DRAFT,
        },
    )


@router.get("/register/gateways")
def gateways(request: Request, session: SessionDep) -> Response:
    return _render(
        request,
        "public/gateways.html",
        {
            "title": "Legal gateways",
            "nav": "gateways",
            "gateways": services.list_gateways(session),
        },
    )


@router.get("/register/gateways/{gateway_id}")
def gateway(request: Request, gateway_id: str, session: SessionDep) -> Response:
    found = services.get_gateway(session, gateway_id)
    return _render(
        request,
        "public/gateway.html",
        {
            "title": found.title,
            "nav": "gateways",
            "gateway": found,
        },
    )


@router.get("/register/benefit-rules")
def benefit_rules(request: Request, session: SessionDep) -> Response:
    rules = session.scalars(select(BenefitRule).order_by(BenefitRule.benefit)).all()
    return _render(
        request,
        "public/benefit_rules.html",
        {
            "title": "Benefit rules",
            "nav": "rules",
            "rules": rules,
            "money": _money,
        },
    )


def _money(amount: BenefitAmount) -> str:
    value = Decimal(amount.amount).normalize()
    if amount.unit.startswith("percent"):
        return f"{value}%"
    return f"£{Decimal(amount.amount):,.2f}"
