"""Signing staff in: a password checked with argon2id, then a TOTP code (RFC 6238) that works
once, then a session the server can end. Who the staff are is `accounts.staff`; this module
owns only how they prove it."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session, object_session

from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.errors import CodeRefused, PasswordTooWeak, SignInFailed, StaffUserNotFound
from sharewell.accounts.models import StaffCredential, StaffSession
from sharewell.accounts.staff import StaffMember
from sharewell.register.labels import labels_for

MIN_PASSWORD_LENGTH = 12
MAX_FAILED_ATTEMPTS = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=8)
TOTP_STEP_SECONDS = 30
TOTP_ISSUER = "Sharewell"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class StaffIdentity:
    """Who is signed in, as the pages and the broker need it (never the credentials)."""

    id: int
    email: str
    name: str
    organisation: str
    organisation_name: str
    role: str


@dataclass(frozen=True)
class Enrolment:
    secret: str
    provisioning_uri: str  # otpauth://… for an authenticator app


def set_credentials(
    session: Session, email: str, password: str, *, totp_secret: str | None = None
) -> Enrolment:
    """Give a member of staff a password and a new TOTP secret (replacing any they had)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooWeak(
            f"The password is {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}.",
            hint="A few unrelated words make a long password that is easy to remember.",
        )
    user = staff_accounts.by_email(session, email)
    secret = totp_secret or pyotp.random_base32()
    credential = session.get(StaffCredential, user.id)
    if credential is None:
        credential = StaffCredential(staff_user_id=user.id)
        session.add(credential)
    credential.password_hash = _hasher.hash(password)
    credential.totp_secret = secret
    credential.totp_last_step = 0
    session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    return Enrolment(secret=secret, provisioning_uri=uri)


def has_credentials(session: Session, staff_user_id: int) -> bool:
    return session.get(StaffCredential, staff_user_id) is not None


def check_password(
    session: Session, email: str, password: str, *, now: dt.datetime
) -> StaffIdentity:
    """The member of staff with this email and password, or ``SignInFailed``.

    After ``MAX_FAILED_ATTEMPTS`` wrong passwords or codes, sign-in is refused for ``LOCKOUT``
    even with the right password; the message is the same, so it tells nobody which emails
    are real.
    """
    try:
        user = staff_accounts.by_email(session, email.strip().lower())
    except StaffUserNotFound:
        user = None
    credential = (
        session.get(StaffCredential, user.id, with_for_update=True) if user is not None else None
    )
    try:
        _hasher.verify(credential.password_hash if credential else _DUMMY_HASH, password)
        matched = credential is not None
    except (VerificationError, InvalidHashError):
        matched = False
    if credential is not None and _locked(credential, now):
        matched = False
    elif credential is not None and not matched:
        _count_failure(credential, now)
    if user is None or credential is None or not matched:
        raise SignInFailed(
            "The email address or password is not right.",
            hint=f"Check both and try again. After {MAX_FAILED_ATTEMPTS} tries, wait "
            f"{int(LOCKOUT.total_seconds() // 60)} minutes. Ask your administrator if you "
            "have forgotten your password.",
        )
    if _hasher.check_needs_rehash(credential.password_hash):
        credential.password_hash = _hasher.hash(password)
    return _identity(session, user)


def _locked(credential: StaffCredential, now: dt.datetime) -> bool:
    return credential.locked_until is not None and _aware(credential.locked_until) > now


def _count_failure(credential: StaffCredential, now: dt.datetime) -> None:
    credential.failed_attempts += 1
    if credential.failed_attempts >= MAX_FAILED_ATTEMPTS:
        credential.locked_until = now + LOCKOUT
        credential.failed_attempts = 0
    session = object_session(credential)
    if session is not None:
        session.flush()


def check_code(session: Session, staff_user_id: int, code: str, *, now: dt.datetime) -> None:
    """Accept a TOTP code for this time step or either neighbour, once only. A wrong code
    counts towards the lockout, like a wrong password."""
    credential = session.get(StaffCredential, staff_user_id, with_for_update=True)
    code = "".join(code.split())
    if credential is None or _locked(credential, now):
        raise _code_refused()
    totp = pyotp.TOTP(credential.totp_secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        expected = totp.at(step * TOTP_STEP_SECONDS)
        if code.isdigit() and hmac.compare_digest(expected, code):
            if step <= credential.totp_last_step:
                # Already used: a replay, or the person entering it twice. Not a guess, so it
                # does not count towards the lockout; the next code will work.
                raise CodeRefused(
                    "You have already used this security code.",
                    hint="Wait for your authenticator app to show a new code (it changes every "
                    "30 seconds), then enter that one.",
                )
            credential.totp_last_step = step
            credential.failed_attempts = 0
            credential.locked_until = None
            session.flush()
            return
    _count_failure(credential, now)
    raise _code_refused()


def _code_refused() -> CodeRefused:
    return CodeRefused(
        "The security code is not right, or it has already been used.",
        hint="Enter the 6-digit code your authenticator app shows now.",
    )


def current_code(session: Session, email: str, *, now: dt.datetime) -> str:
    """The code an authenticator app would show now (for the demo's made-up staff)."""
    user = staff_accounts.by_email(session, email)
    credential = session.get(StaffCredential, user.id)
    if credential is None:
        raise SignInFailed(f"{email} has no password or security code set up.")
    return pyotp.TOTP(credential.totp_secret).at(now)


def open_session(session: Session, staff_user_id: int, *, now: dt.datetime) -> str:
    """A new signed-in session; returns the token for the cookie (the server keeps its hash)."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id=_session_id(token),
            staff_user_id=staff_user_id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


def signed_in(session: Session, token: str, *, now: dt.datetime) -> StaffIdentity | None:
    """Who holds this session token, if the session is still open."""
    stored = session.get(StaffSession, _session_id(token))
    if stored is None or stored.revoked_at is not None or _aware(stored.expires_at) <= now:
        return None
    return _identity(session, staff_accounts.by_id(session, stored.staff_user_id))


def close_session(session: Session, token: str, *, now: dt.datetime) -> None:
    stored = session.get(StaffSession, _session_id(token))
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = now
        session.flush()


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _identity(session: Session, user: StaffMember) -> StaffIdentity:
    names = labels_for(session, organisations=[user.organisation_id])
    return StaffIdentity(
        id=user.id,
        email=user.email,
        name=user.name,
        organisation=user.organisation_id,
        organisation_name=names.organisation(user.organisation_id),
        role=user.role,
    )
