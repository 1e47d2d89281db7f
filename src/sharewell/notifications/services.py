"""Opting in and out of updates, queueing a message for each decision about someone who opted
in, and delivering the queue.

``notify_decisions`` runs inside the broker's decision transaction, so a message is queued if
and only if its decision commits. It costs one SELECT per batch of decisions, and one
executemany INSERT only when somebody in the batch opted in. ``deliver`` sends afterwards, a
message at a time, each in its own small transaction, so a failure keeps the message for a
retry and never holds a decision up.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sharewell.consent import services as consent
from sharewell.notifications.errors import DeliveryFailed, EmailAddressInvalid
from sharewell.notifications.models import (
    EMAIL_LENGTH,
    NotificationPreference,
    OutboxMessage,
    Template,
)
from sharewell.register.labels import labels_for
from sharewell.register.vocabulary import PURPOSE_TITLES, Purpose

if TYPE_CHECKING:  # the broker imports this module; it needs no HTTP client
    from sharewell.notifications.senders import Sender

log = logging.getLogger(__name__)

ERROR_LENGTH = 1_000
MAX_ATTEMPTS = 5  # then the message stays in the outbox, unsent, for the operator to see
UK = ZoneInfo("Europe/London")
_OUTBOX = cast(Table, OutboxMessage.__table__)
# Deliberately loose (one @, something either side, no spaces): the address comes from the
# citizen's sign-in, and the sender is the real judge of whether it can be delivered.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What the message says happened, in words for the person it is about.
OUTCOME_WORDS = {
    "permit": "the information was shared",
    "partial": "some of the information was shared",
    "deny": "nothing was shared",
}


class DecisionMade(NamedTuple):
    """A decision just written about one subject: all a message about it may say. (A named
    tuple: the broker makes a thousand of these per batch.)"""

    subject_id: str
    ledger_index: int
    organisation: str  # the id of the organisation that asked
    purpose: str
    outcome: str
    time: dt.datetime


@dataclass(frozen=True)
class Preference:
    opted_in: bool
    email: str | None
    opted_in_at: dt.datetime | None


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    failed: int


# --------------------------------------------------------------------------- preferences


def opt_in(session: Session, subject_id: str, email: str, now: dt.datetime) -> Preference:
    """Send updates about this subject to this address (a second opt-in changes the address)."""
    address = email.strip()
    if len(address) > EMAIL_LENGTH or not _EMAIL.match(address):
        raise EmailAddressInvalid(
            "Your sign-in did not give an email address updates could be sent to.",
            hint="Add an email address to your sign-in account, then try again.",
        )
    consent.get_subject(session, subject_id)  # SubjectUnknown for a subject that is not
    stored = session.get(NotificationPreference, subject_id)
    if stored is None:
        stored = NotificationPreference(subject_id=subject_id, email=address, opted_in_at=now)
        session.add(stored)
    else:
        stored.email = address
    session.flush()
    return Preference(True, stored.email, stored.opted_in_at)


def opt_out(session: Session, subject_id: str) -> Preference:
    """No more updates, from now on: the address is forgotten and unsent messages are dropped
    (a message queued a moment ago must not arrive after the person said stop)."""
    session.execute(
        delete(NotificationPreference).where(NotificationPreference.subject_id == subject_id)
    )
    session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.subject_id == subject_id, OutboxMessage.sent_at.is_(None)
        )
    )
    return Preference(False, None, None)


def preference(session: Session, subject_id: str) -> Preference:
    stored = session.get(NotificationPreference, subject_id)
    if stored is None:
        return Preference(False, None, None)
    return Preference(True, stored.email, stored.opted_in_at)


# --------------------------------------------------------------------------- queueing


def notify_decisions(session: Session, decisions: Sequence[DecisionMade]) -> int:
    """Queue a "data used" message for each decision about a subject who opted in, in the
    caller's transaction; returns how many were queued."""
    subject_ids = {decision.subject_id for decision in decisions}
    if not subject_ids:
        return 0
    found = session.execute(
        select(NotificationPreference.subject_id, NotificationPreference.email).where(
            NotificationPreference.subject_id.in_(subject_ids)
        )
    )
    addresses: dict[str, str] = {row.subject_id: row.email for row in found}
    if not addresses:
        return 0
    told = [decision for decision in decisions if decision.subject_id in addresses]
    names = labels_for(session, organisations={decision.organisation for decision in told})
    now = dt.datetime.now(dt.UTC)
    session.connection().execute(
        insert(_OUTBOX),
        [
            {
                "subject_id": decision.subject_id,
                "email": addresses[decision.subject_id],
                "template": Template.DATA_USED.value,
                "personalisation": data_used_personalisation(
                    decision, names.organisation(decision.organisation)
                ),
                "created_at": now,
                "attempts": 0,
            }
            for decision in told
        ],
    )
    return len(told)


def data_used_personalisation(decision: DecisionMade, organisation_name: str) -> dict[str, str]:
    """What the "data used" email may say: who, why, the outcome, when and the record's
    number. Strings only (GOV.UK Notify's placeholders), and never a value that was released."""
    try:
        purpose = PURPOSE_TITLES[Purpose(decision.purpose)]
    except ValueError:
        purpose = decision.purpose
    local = decision.time.astimezone(UK)
    return {
        "organisation": organisation_name,
        "purpose": purpose,
        "outcome": OUTCOME_WORDS.get(decision.outcome, decision.outcome),
        "when": f"{local.day} {local:%B %Y} at {local:%H:%M}",
        "ledger_index": str(decision.ledger_index),
    }


# --------------------------------------------------------------------------- delivering


@dataclass(frozen=True)
class OutboxRow:
    id: int
    email: str
    template: str
    personalisation: dict[str, Any]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    reference: str | None
    attempts: int
    last_error: str | None


def outbox(session: Session, *, pending_only: bool = False, limit: int = 100) -> list[OutboxRow]:
    """The newest messages first (for the operator's `sharewell notifications outbox`)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if pending_only:
        query = query.where(OutboxMessage.sent_at.is_(None))
    return [_row(message) for message in session.scalars(query)]


def pending_count(session: Session) -> int:
    """Messages a send would try: unsent, and not given up on."""
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        )
        or 0
    )


def _row(message: OutboxMessage) -> OutboxRow:
    return OutboxRow(
        id=message.id,
        email=message.email,
        template=message.template,
        personalisation=dict(message.personalisation),
        created_at=message.created_at,
        sent_at=message.sent_at,
        reference=message.reference,
        attempts=message.attempts,
        last_error=message.last_error,
    )


def deliver(
    session: Session,
    sender: Sender,
    limit: int,
    *,
    on_each: Callable[[], None] | None = None,
) -> DeliveryReport:
    """Send up to ``limit`` pending messages, oldest first, committing after each one: a sent
    message is marked sent with the sender's reference; a failed one keeps its place with the
    error and one more attempt counted, for a later run to retry (up to ``MAX_ATTEMPTS``).

    No transaction is open while a sender talks to the network, so a slow email service
    never holds the database (on SQLite, the one write lock the broker needs). Run one
    sender at a time: two at once could both send a message before either marks it.
    """
    pending = [
        _row(message)
        for message in session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    ]
    session.commit()
    sent = failed = 0
    for message in pending:
        try:
            reference = sender.send_email(message.email, message.template, message.personalisation)
        except DeliveryFailed as error:
            log.warning("notification %s not sent: %s", message.id, error.message)
            _record(session, message.id, last_error=error.message[:ERROR_LENGTH])
            failed += 1
        else:
            _record(session, message.id, sent_at=dt.datetime.now(dt.UTC), reference=reference)
            sent += 1
        session.commit()
        if on_each is not None:
            on_each()
    return DeliveryReport(sent, failed)


def _record(session: Session, message_id: int, **values: Any) -> None:
    # Still pending only: an opt-out since the read has deleted it, and that stands.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
        .values({"attempts": OutboxMessage.attempts + 1, "last_error": None, **values})
    )
