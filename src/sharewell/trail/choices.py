"""A citizen's choices about the agreements in force: consent where the law asks for it, and
objection where the law gives a right to object. Each change is recorded through the consent
domain (with its ledger entry) and applies to the very next decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentChange, ConsentScope
from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus
from sharewell.errors import InvalidInput, NotFound
from sharewell.register import services as register
from sharewell.register.labels import labels_for
from sharewell.register.terms import AgreementTerms
from sharewell.register.vocabulary import PURPOSE_TITLES, AgreementStatus, Purpose


@dataclass(frozen=True)
class Action:
    state: str  # the ConsentStatus this records
    label: str  # the button
    confirm: str  # the question on the confirmation page


@dataclass(frozen=True)
class Choice:
    """One agreement in force, and where the citizen stands on it."""

    agreement_id: str
    title: str
    discloser: str
    recipients: tuple[str, ...]
    purposes: tuple[str, ...]
    consent_required: bool
    can_object: bool
    state: str | None
    since: dt.datetime | None
    entry: int | None
    actions: tuple[Action, ...]
    wording: str  # what a grant agrees to, shown before and stored with it

    @property
    def status_text(self) -> str:
        if self.state == ConsentStatus.GRANTED:
            return "You have given consent"
        if self.state == ConsentStatus.WITHDRAWN:
            return "You have withdrawn consent" if self.consent_required else "No objection"
        if self.state == ConsentStatus.OBJECTED:
            return "You have objected"
        return "You have not given consent" if self.consent_required else "No objection"


class ChoiceUnavailable(InvalidInput):
    """That change is not one this agreement offers (or the agreement is not in force)."""


class AgreementNotOffered(NotFound):
    def __init__(self, agreement_id: str) -> None:
        super().__init__(
            f"There is no agreement in force called {agreement_id!r}.",
            hint="Go back to your choices and pick one from the list.",
        )


def _objection_counts(terms: AgreementTerms) -> bool:
    """An objection stops sharing only if every law relied on gives a right to object."""
    bases = [g for g in terms.gateways if g.in_force and g.sharing_basis]
    return bool(bases) and all(g.right_to_object for g in bases)


def _actions(terms: AgreementTerms, state: str | None, title: str) -> tuple[Action, ...]:
    if terms.consent_required:
        if state == ConsentStatus.GRANTED:
            return (
                Action("withdrawn", "Withdraw consent", f"Withdraw your consent for “{title}”?"),
            )
        return (Action("granted", "Give consent", f"Give your consent for “{title}”?"),)
    if not _objection_counts(terms):
        return ()
    if state == ConsentStatus.OBJECTED:
        return (
            Action(
                "withdrawn", "Withdraw your objection", f"Withdraw your objection to “{title}”?"
            ),
        )
    return (Action("objected", "Object", f"Object to “{title}”?"),)


def _wording(discloser: str, recipients: list[str], purposes: list[str], title: str) -> str:
    return (
        f"I agree that {discloser} may share information about me with "
        f"{', '.join(recipients)} for {', '.join(purposes).lower()}, under the agreement "
        f"“{title}”. I can withdraw this at any time."
    )


def _latest(records: list[ConsentChange], agreement_id: str) -> ConsentChange | None:
    mine = [r for r in records if r.agreement_id == agreement_id and r.recipient_id is None]
    return mine[-1] if mine else None


def choices_for(session: Session, subject_id: str, *, today: dt.date | None = None) -> list[Choice]:
    """Every agreement in force about which the citizen has a say, with their current choice."""
    today = today or dt.date.today()
    ids = [a.id for a in register.published_agreements(session, today=today)]
    terms = register.agreement_terms(session, ids)
    labels = labels_for(
        session,
        organisations={o for t in terms.values() for o in (t.discloser, *t.recipients)},
        agreements=ids,
    )
    records = consent.consent_history(session, subject_id)
    choices = []
    for agreement_id, term in sorted(terms.items()):
        if term.status_on(today) != AgreementStatus.ACTIVE:
            continue
        title = labels.agreements.get(agreement_id, agreement_id)
        latest = _latest(records, agreement_id)
        state = latest.state if latest is not None else None
        recipients = sorted(labels.organisation(r) for r in term.recipients)
        purposes = sorted(PURPOSE_TITLES.get(Purpose(p), p) for p in term.purposes)
        discloser = labels.organisation(term.discloser)
        choices.append(
            Choice(
                agreement_id=agreement_id,
                title=title,
                discloser=discloser,
                recipients=tuple(recipients),
                purposes=tuple(purposes),
                consent_required=term.consent_required,
                can_object=_objection_counts(term),
                state=state,
                since=latest.recorded_at if latest is not None else None,
                entry=latest.ledger_index if latest is not None else None,
                actions=_actions(term, state, title),
                wording=_wording(discloser, recipients, purposes, title),
            )
        )
    return choices


def choice_for(session: Session, subject_id: str, agreement_id: str) -> Choice:
    for choice in choices_for(session, subject_id):
        if choice.agreement_id == agreement_id:
            return choice
    raise AgreementNotOffered(agreement_id)


def make_choice(session: Session, subject_id: str, agreement_id: str, state: str) -> ConsentChange:
    """Record the citizen's own change (captured in the portal), with its ledger entry."""
    choice = choice_for(session, subject_id, agreement_id)
    action = next((a for a in choice.actions if a.state == state), None)
    if action is None:
        offered = ", ".join(a.label.lower() for a in choice.actions) or "nothing"
        raise ChoiceUnavailable(
            f"“{choice.title}” does not offer that change now.",
            hint=f"You can: {offered}. Go back to your choices and try again.",
        )
    return consent.record_consent(
        session,
        subject_id=subject_id,
        scope=ConsentScope.for_agreement(agreement_id),
        state=state,
        captured_via=CaptureMethod.PORTAL,
        wording=choice.wording if state == ConsentStatus.GRANTED else None,
    )
