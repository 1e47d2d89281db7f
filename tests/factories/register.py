"""Register fixtures: the demo register, and agreement documents to vary in tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.models import StaffUser
from sharewell.accounts.staff import StaffMember
from sharewell.demo.cli import demo_register_text
from sharewell.register import services
from sharewell.register.models import (
    Agreement,
    AgreementStatusEvent,
    Dataset,
    DatasetField,
    DatasetRecord,
    Organisation,
)

MUTABLE_TABLES = (
    Organisation,
    StaffUser,
    Dataset,
    DatasetField,
    Agreement,
    AgreementStatusEvent,
    DatasetRecord,
)


def load_demo_register(session: Session) -> services.ImportReport:
    return services.import_documents(session, demo_register_text(), source="demo")


def row_counts(session: Session) -> dict[str, int]:
    """How many rows each register table holds: equal before and after means nothing written."""
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in MUTABLE_TABLES
    }


def agreement_yaml(**overrides: Any) -> str:
    """A valid agreement/v1 document for the demo register, with fields replaced as asked."""
    document: dict[str, Any] = {
        "sharewell": "agreement/v1",
        "id": "northbridge-test-agreement",
        "title": "Test agreement",
        "summary": "For tests.",
        "discloser": "northbridge",
        "recipients": ["southmere"],
        "gateways": ["ssaa1992-s122e"],
        "purposes": [{"code": "benefit-administration", "description": "Paying claims."}],
        "datasets": [
            {"dataset": "housing-benefit-claims", "fields": ["record_id", "nino", "weekly_award"]}
        ],
        "valid_from": "2026-04-01",
        "valid_until": "2027-03-31",
    }
    for key, value in overrides.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return yaml.safe_dump(document, sort_keys=False)


def dpo(session: Session, organisation_id: str) -> StaffMember:
    (found,) = [m for m in staff_accounts.staff_of(session, organisation_id) if m.role == "dpo"]
    return found


TODAY = dt.date(2026, 11, 25)
