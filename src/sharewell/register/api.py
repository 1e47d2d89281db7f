"""The public register as JSON: the same facts as the pages, for other systems to read."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sharewell.register import services
from sharewell.register.schemas import (
    AgreementDocument,
    OrganisationDocument,
    PublicAgreement,
    PublicGateway,
    PublicRegister,
)
from sharewell.web.access import public
from sharewell.web.deps import SessionDep

router = APIRouter(dependencies=[Depends(public)])


@router.get("/api/v1/register/agreements", response_model=PublicRegister)
def list_agreements(session: SessionDep, include_inactive: bool = False) -> PublicRegister:
    """Agreements in force (with `include_inactive`, suspended and expired ones too)."""
    return PublicRegister(
        agreements=services.published_agreements(session, include_inactive=include_inactive),
        gateways_url="/api/v1/register/gateways",
        schema_url="/register/schema/agreement-v1.json",
    )


@router.get("/api/v1/register/agreements/{agreement_id}", response_model=PublicAgreement)
def get_agreement(agreement_id: str, session: SessionDep) -> PublicAgreement:
    return services.published_agreement(session, agreement_id)


class GatewayList(BaseModel):
    gateways: list[PublicGateway]


@router.get("/api/v1/register/gateways", response_model=GatewayList)
def list_gateways(session: SessionDep) -> GatewayList:
    return GatewayList(
        gateways=[services.public_gateway(g) for g in services.list_gateways(session)]
    )


@router.get("/register/schema/agreement-v1.json")
def agreement_schema() -> JSONResponse:
    return JSONResponse(AgreementDocument.model_json_schema(), media_type="application/schema+json")


@router.get("/register/schema/organisation-v1.json")
def organisation_schema() -> JSONResponse:
    return JSONResponse(
        OrganisationDocument.model_json_schema(), media_type="application/schema+json"
    )
