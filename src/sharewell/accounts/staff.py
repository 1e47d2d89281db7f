"""Staff accounts: who works for which organisation, and in what role.

Other domains and the views get ``StaffMember`` (frozen), never the table's rows. Sign-in
(passwords, codes, sessions) is ``accounts.services``; this module imports nothing of another
domain's but its vocabulary and boundary types, so the register can call it when it imports an
organisation's staff.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sharewell.accounts.errors import StaffEmailTaken, StaffUserNotFound
from sharewell.accounts.models import StaffUser
from sharewell.errors import InvalidInput
from sharewell.register.schemas import StaffDocument


@dataclass(frozen=True)
class StaffMember:
    id: int
    email: str
    name: str
    organisation_id: str
    role: str


def _member(user: StaffUser) -> StaffMember:
    return StaffMember(
        id=user.id,
        email=user.email,
        name=user.name,
        organisation_id=user.organisation_id,
        role=user.role,
    )


def by_email(session: Session, email: str) -> StaffMember:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email))
    if user is None:
        raise StaffUserNotFound(email)
    return _member(user)


def by_id(session: Session, staff_user_id: int) -> StaffMember:
    user = session.get(StaffUser, staff_user_id)
    if user is None:
        raise StaffUserNotFound(f"#{staff_user_id}")
    return _member(user)


def member_of(session: Session, organisation_id: str, staff_user_id: int) -> StaffMember:
    """A member of this organisation's staff; another organisation's is not found."""
    found = by_id(session, staff_user_id)
    if found.organisation_id != organisation_id:
        raise StaffUserNotFound(f"#{staff_user_id}")
    return found


def everyone(session: Session) -> list[StaffMember]:
    """Every member of staff of every organisation, by email."""
    return [_member(u) for u in session.scalars(select(StaffUser).order_by(StaffUser.email))]


def staff_of(session: Session, organisation_id: str) -> list[StaffMember]:
    """An organisation's staff, by email."""
    rows = session.scalars(
        select(StaffUser)
        .where(StaffUser.organisation_id == organisation_id)
        .order_by(StaffUser.email)
    )
    return [_member(u) for u in rows]


def counts_by_organisation(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(StaffUser.organisation_id, func.count()).group_by(StaffUser.organisation_id)
    )
    return dict(rows.all())


def organisations_holding(session: Session, emails: Iterable[str]) -> dict[str, str]:
    """Which organisation each of these emails already belongs to (email → organisation)."""
    rows = session.execute(
        select(StaffUser.email, StaffUser.organisation_id).where(StaffUser.email.in_(emails))
    )
    return dict(rows.all())


def merge(session: Session, organisation_id: str, staff: Sequence[StaffDocument]) -> None:
    """An organisation/v1 document's staff, as the register imports it: new members added,
    names and roles brought up to date (nobody is removed: they may hold sign-in history)."""
    existing = {
        u.email: u
        for u in session.scalars(
            select(StaffUser).where(StaffUser.organisation_id == organisation_id)
        )
    }
    for incoming in staff:
        user = existing.get(incoming.email)
        if user is None:
            user = StaffUser(email=incoming.email, organisation_id=organisation_id)
            session.add(user)
        user.name = incoming.name
        user.role = incoming.role.value
    session.flush()


def add(session: Session, organisation_id: str, *, email: str, name: str, role: str) -> StaffMember:
    """Add a member of staff to an organisation, as an organisation/v1 document's staff entry
    would. The email is kept in lower case, as sign-in reads it; it must be nobody else's."""
    try:
        document = StaffDocument.model_validate(
            {"email": email.strip().lower(), "name": name, "role": role}
        )
    except ValidationError as invalid:
        raise InvalidInput(
            "The member of staff cannot be added; nothing was written.",
            problems=[
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in invalid.errors()
            ],
        ) from None
    taken = select(StaffUser.id).where(func.lower(StaffUser.email) == document.email)
    if session.scalar(taken) is not None:
        raise StaffEmailTaken(document.email)
    user = StaffUser(
        email=document.email,
        name=document.name,
        role=document.role.value,
        organisation_id=organisation_id,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        # Another transaction added the same email first; only that explains it, so look.
        if session.scalar(taken) is None:
            raise
        raise StaffEmailTaken(document.email) from None
    return _member(user)
