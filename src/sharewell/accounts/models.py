"""The accounts tables.

``staff_users``: the members of staff of each organisation in the register, with their role
(the organisation is the register's; who works there, and as what, is this domain's).
``staff_credentials``: a member of staff's password hash (argon2id) and TOTP secret, and the
last time step a code was accepted for (so a code works once), and how many wrong passwords or
codes came since the last sign-in (too many lock sign-in for a while). ``staff_sessions``: each
sign-in, known by the SHA-256 of the token in the browser's cookie, until it expires or the
person signs out. ``citizen_accounts``: which subject a citizen's OpenID Connect identity
(issuer and ``sub``) belongs to; ``citizen_sessions``: their sign-ins, kept like staff ones.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.db import Base
from sharewell.register.vocabulary import Role, check_constraint_values

SESSION_ID_LENGTH = 64  # hex SHA-256 of the cookie's token


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint(f"role IN ({check_constraint_values(Role)})", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))


class StaffCredential(Base):
    __tablename__ = "staff_credentials"

    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    # Wrong passwords and codes since the last sign-in; too many lock sign-in for a while.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(SESSION_ID_LENGTH), primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CitizenAccount(Base):
    """A citizen's identity at an OpenID Connect provider, linked once to their subject."""

    __tablename__ = "citizen_accounts"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    sub: Mapped[str] = mapped_column(String(255))
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_signed_in_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CitizenSession(Base):
    """One citizen sign-in, known by the SHA-256 of the token in the browser's cookie."""

    __tablename__ = "citizen_sessions"

    id: Mapped[str] = mapped_column(String(SESSION_ID_LENGTH), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("citizen_accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
