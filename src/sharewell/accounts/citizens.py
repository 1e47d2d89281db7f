"""Citizens signed in through OpenID Connect: their identity linked to the subject the
councils' records are about, and sessions the server can end (like staff sessions)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharewell.accounts.models import CitizenAccount, CitizenSession
from sharewell.accounts.oidc import SignInRefused, VerifiedClaims
from sharewell.consent import services as consent
from sharewell.consent.errors import IdentifierInvalid

SESSION_LIFETIME = dt.timedelta(hours=8)


@dataclass(frozen=True)
class CitizenIdentity:
    """Who is signed in to the citizen portal, as the pages need it."""

    subject_id: str
    name: str
    email: str


def link_account(session: Session, claims: VerifiedClaims, *, now: dt.datetime) -> CitizenAccount:
    """The account for this provider identity; on first sign-in, linked to the subject that
    the verified National Insurance number belongs to (made if nothing is held yet, so a
    person can object before any sharing)."""
    account = session.scalar(
        select(CitizenAccount).where(
            CitizenAccount.issuer == claims.issuer, CitizenAccount.sub == claims.sub
        )
    )
    if account is None:
        if claims.nino is None:
            raise SignInRefused(
                "your sign-in did not include a verified National Insurance number, which "
                "Sharewell needs to find the records about you."
            )
        try:
            subject = consent.resolve_subject(session, "nino", claims.nino, create=True)
        except IdentifierInvalid:
            raise SignInRefused(
                "the National Insurance number your sign-in gave is not valid."
            ) from None
        account = CitizenAccount(
            issuer=claims.issuer,
            sub=claims.sub,
            subject_id=subject.id,
            created_at=now,
            last_signed_in_at=now,
        )
        session.add(account)
    account.last_signed_in_at = now
    session.flush()
    return account


def open_session(
    session: Session, account: CitizenAccount, claims: VerifiedClaims, *, now: dt.datetime
) -> str:
    """A new signed-in session; returns the token for the cookie (the server keeps its hash)."""
    token = secrets.token_urlsafe(32)
    session.add(
        CitizenSession(
            id=_session_id(token),
            account_id=account.id,
            name=claims.name[:300],
            email=claims.email[:320],
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token


def signed_in(session: Session, token: str, *, now: dt.datetime) -> CitizenIdentity | None:
    """Who holds this session token, if the session is still open."""
    row = session.execute(
        select(
            CitizenSession.name,
            CitizenSession.email,
            CitizenSession.expires_at,
            CitizenSession.revoked_at,
            CitizenAccount.subject_id,
        )
        .join(CitizenAccount, CitizenAccount.id == CitizenSession.account_id)
        .where(CitizenSession.id == _session_id(token))
    ).one_or_none()
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= now:
        return None
    return CitizenIdentity(subject_id=row.subject_id, name=row.name, email=row.email)


def close_session(session: Session, token: str, *, now: dt.datetime) -> None:
    stored = session.get(CitizenSession, _session_id(token))
    if stored is not None and stored.revoked_at is None:
        stored.revoked_at = now
        session.flush()


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
