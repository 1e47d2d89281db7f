"""The accounts tables.

``staff_credentials``: a member of staff's password hash (argon2id) and TOTP secret, and the
last time step a code was accepted for (so a code works once), and how many wrong passwords or
codes came since the last sign-in (too many lock sign-in for a while). ``staff_sessions``: each
sign-in, known by the SHA-256 of the token in the browser's cookie, until it expires or the
person signs out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.db import Base

SESSION_ID_LENGTH = 64  # hex SHA-256 of the cookie's token


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
