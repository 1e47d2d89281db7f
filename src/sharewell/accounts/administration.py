"""What an administrator needs from accounts: whether staff can sign in, and new credentials
for someone (a password and an authenticator key, shown once, never stored in the clear)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sharewell.accounts import services as accounts
from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.models import StaffCredential, StaffSession

# 24 URL-safe characters: 144 random bits, far past guessing, and easy to copy.
GENERATED_PASSWORD_BYTES = 18


@dataclass(frozen=True)
class SignInState:
    has_credentials: bool
    locked_until: dt.datetime | None  # set only while sign-in is locked

    @property
    def locked(self) -> bool:
        return self.locked_until is not None


@dataclass(frozen=True)
class IssuedCredentials:
    """Shown to the administrator once; only the password's hash and the key are kept."""

    email: str
    password: str
    totp_secret: str
    provisioning_uri: str
    sessions_ended: int


def sign_in_states(
    session: Session, staff_user_ids: Collection[int], *, now: dt.datetime
) -> dict[int, SignInState]:
    """For each member of staff: do they have a password and key, and is sign-in locked?"""
    rows = session.execute(
        select(StaffCredential.staff_user_id, StaffCredential.locked_until).where(
            StaffCredential.staff_user_id.in_(list(staff_user_ids))
        )
    ).all()
    found = {
        staff_user_id: SignInState(
            has_credentials=True,
            locked_until=(
                _aware(locked_until)
                if locked_until is not None and _aware(locked_until) > now
                else None
            ),
        )
        for staff_user_id, locked_until in rows
    }
    return {
        staff_user_id: found.get(staff_user_id, SignInState(False, None))
        for staff_user_id in staff_user_ids
    }


def issue_credentials(session: Session, email: str, *, now: dt.datetime) -> IssuedCredentials:
    """A new generated password and authenticator key for this member of staff.

    Their old password and key stop working, a lockout is lifted (the administrator has just
    vouched for them), and every session they have open is ended, so whoever held the old
    credentials is signed out too.
    """
    password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    enrolment = accounts.set_credentials(session, email, password)
    user_id = staff_accounts.by_email(session, email).id
    credential = session.get(StaffCredential, user_id)
    assert credential is not None  # set_credentials just wrote it
    credential.failed_attempts = 0
    credential.locked_until = None
    ended = (
        session.connection()
        .execute(
            update(StaffSession)
            .where(
                StaffSession.staff_user_id == user_id,
                StaffSession.revoked_at.is_(None),
                StaffSession.expires_at > now,
            )
            .values(revoked_at=now)
        )
        .rowcount
    )
    session.flush()
    return IssuedCredentials(
        email=email,
        password=password,
        totp_secret=enrolment.secret,
        provisioning_uri=enrolment.provisioning_uri,
        sessions_ended=ended or 0,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
