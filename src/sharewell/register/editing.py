"""A data protection officer changes their organisation's draft agreement field by field.

The form's values become the agreement's document and go through the same validation and the
same import as a YAML file would, so a draft changed here is exactly the document it exports.
Every problem is keyed by the form field to correct, and nothing is written unless all is well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from sharewell.accounts.staff import StaffMember
from sharewell.errors import Conflict
from sharewell.register import services
from sharewell.register.errors import (
    AgreementNotFound,
    LifecycleNotPermitted,
    RegisterInputInvalid,
)
from sharewell.register.schemas import AgreementDatasetDocument, AgreementDocument
from sharewell.register.vocabulary import AgreementStatus, Purpose, Role

EDITABLE = ("title", "summary", "recipients", "purposes", "fields", "valid_from", "valid_until")


@dataclass(frozen=True)
class DraftForm:
    """What the edit form holds: text and choices as a person sends them."""

    title: str
    summary: str
    recipients: tuple[str, ...]
    purposes: tuple[str, ...]
    fields: tuple[str, ...]  # "dataset.field"
    valid_from: str
    valid_until: str


def may_edit(discloser: str, status: str, actor: StaffMember) -> bool:
    """Only the discloser's DPO changes a draft: once active, a change is a new agreement."""
    return (
        actor.role == Role.DPO
        and actor.organisation_id == discloser
        and status == AgreementStatus.DRAFT
    )


def draft_form(session: Session, agreement_id: str) -> DraftForm:
    """The draft as it stands, to fill the form."""
    document = services.agreement_document(services.get_agreement(session, agreement_id))
    return DraftForm(
        title=document.title,
        summary=document.summary,
        recipients=tuple(document.recipients),
        purposes=tuple(p.code.value for p in document.purposes),
        fields=tuple(f"{d.dataset}.{f}" for d in document.datasets for f in d.fields),
        valid_from=document.valid_from.isoformat(),
        valid_until=document.valid_until.isoformat(),
    )


def _date(text: str, field: str, problems: dict[str, str], what: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        problems[field] = f"Enter the date {what} as a real date, like 2027-04-01"
        return None


def _datasets(fields: Sequence[str]) -> list[AgreementDatasetDocument]:
    by_dataset: dict[str, list[str]] = {}
    for name in fields:
        dataset, _, field = name.partition(".")
        by_dataset.setdefault(dataset, []).append(field)
    return [
        AgreementDatasetDocument(dataset=d, fields=sorted(set(f))) for d, f in by_dataset.items()
    ]


def _held_fields(session: Session, organisation_id: str) -> set[str]:
    own = services.get_organisation(session, organisation_id)
    return {f"{d.key}.{f.name}" for d in own.datasets for f in d.fields}


def _form_problems(session: Session, discloser: str, form: DraftForm) -> dict[str, str]:
    problems: dict[str, str] = {}
    known = {o.id for o in services.organisation_overviews(session)}
    if not form.title.strip():
        problems["title"] = "Enter a title people will recognise, like “Free school meals”"
    if not form.summary.strip():
        problems["summary"] = "Say in a sentence what is shared, with whom and why"
    if not form.recipients:
        problems["recipients"] = "Choose who receives the information"
    elif discloser in form.recipients:
        problems["recipients"] = "Your organisation does not share with itself: untick it"
    elif not set(form.recipients) <= known:
        problems["recipients"] = "Choose who receives the information from the list"
    if not form.purposes:
        problems["purposes"] = "Choose what the information is for"
    unknown = [p for p in form.purposes if p not in set(Purpose)]
    if unknown:
        problems["purposes"] = "Choose purposes from the list"
    if not form.fields:
        problems["fields"] = "Choose the information that may be shared"
    elif not set(form.fields) <= _held_fields(session, discloser):
        problems["fields"] = "Choose the information from the list: only what you hold"
    start = _date(form.valid_from, "valid_from", problems, "it starts")
    end = _date(form.valid_until, "valid_until", problems, "it ends")
    if start is not None and end is not None and end < start:
        problems["valid_until"] = "The end date must be the same as or after the start date"
    return problems


def edit_draft(session: Session, agreement_id: str, form: DraftForm, *, actor: StaffMember) -> None:
    """Change the draft to what the form says, or change nothing and say what to correct
    (``RegisterInputInvalid`` with ``fields``)."""
    agreement = services.get_agreement(session, agreement_id)
    if not services.is_party(agreement, actor.organisation_id):
        raise AgreementNotFound(agreement_id)
    if not may_edit(agreement.discloser_id, agreement.status, actor):
        if agreement.status != AgreementStatus.DRAFT:
            raise Conflict(
                f"“{agreement.title}” is {agreement.status}, so it can no longer be changed.",
                hint="Copy it to make a new draft, or suspend it if it must stop.",
            )
        raise LifecycleNotPermitted(
            f"Only a data protection officer of {agreement.discloser_id} can change this draft."
        )
    problems = _form_problems(session, agreement.discloser_id, form)
    if problems:
        raise RegisterInputInvalid("The draft was not changed.", fields=problems)
    current = services.agreement_document(agreement)
    kept_descriptions = {p.code.value: p.description for p in current.purposes}
    changed = current.model_dump()
    changed.update(
        title=form.title.strip(),
        summary=form.summary.strip(),
        recipients=list(form.recipients),
        purposes=[
            {"code": code, "description": kept_descriptions.get(code, "")} for code in form.purposes
        ],
        datasets=[d.model_dump() for d in _datasets(form.fields)],
        valid_from=form.valid_from.strip(),
        valid_until=form.valid_until.strip(),
    )
    try:
        document = AgreementDocument.model_validate(changed)
    except ValidationError as invalid:
        fields: dict[str, str] = {}
        for error in invalid.errors():
            where = str(error["loc"][0]) if error["loc"] else "title"
            field = "fields" if where == "datasets" else where
            message = str(error["msg"]).removeprefix("Value error, ")
            fields.setdefault(
                field if field in EDITABLE else "title", message[:1].upper() + message[1:]
            )
        raise RegisterInputInvalid("The draft was not changed.", fields=fields) from None
    try:
        services.apply_documents(session, [document], f"the draft '{agreement_id}'", update=True)
    except RegisterInputInvalid as refused:
        # What only the register can know (a dataset or field its discloser does not hold, a
        # recipient it does not know): said against the fields a person can change.
        said: dict[str, str] = {}
        for problem in refused.problems:
            about = next(
                (f for f in ("recipients", "fields", "purposes") if f in problem), "fields"
            )
            said.setdefault(about, problem)
        raise RegisterInputInvalid("The draft was not changed.", fields=said) from None
