"""The consent domain's tables: subjects, their identifiers, and consent records.

A consent record is written once and never changed (the services never update one; the
history is the record). Times are stored in UTC and always read back timezone-aware, on
SQLite as on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sharewell.consent.vocabulary import CaptureMethod, ConsentStatus, IdentifierScheme
from sharewell.db import Base, UtcDateTime
from sharewell.ledger.entries import TRAIL_KEY_BYTES
from sharewell.register.vocabulary import Purpose, check_constraint_values

Slug = String(100)
# "organisation/dataset/record_id": two slugs of up to 100 characters, a record id of up to 100.
IDENTIFIER_LENGTH = 302


def _one_of(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    # NULL passes a CHECK, so this also suits a nullable column.
    return CheckConstraint(f"{column} IN ({check_constraint_values(enum)})", name=name)


def _new_id() -> str:
    return str(uuid.uuid4())


class Subject(Base):
    """A citizen, known inside sharewell only by a random id."""

    __tablename__ = "subjects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    # Only the operator and the subject hold it: it opens the subject's ledger commitments.
    # Deferred, so loading a subject does not load its key.
    trail_key: Mapped[bytes] = mapped_column(LargeBinary(TRAIL_KEY_BYTES), deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())

    identifiers: Mapped[list[SubjectIdentifier]] = relationship(
        back_populates="subject", order_by="SubjectIdentifier.id"
    )


class SubjectIdentifier(Base):
    """One name the outside world has for a subject; each names at most one subject."""

    __tablename__ = "subject_identifiers"
    __table_args__ = (
        UniqueConstraint("scheme", "value"),
        _one_of("scheme", IdentifierScheme, "scheme"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(IDENTIFIER_LENGTH))

    subject: Mapped[Subject] = relationship(back_populates="identifiers")


class RetiredTrailKey(Base):
    """A trail key the subject had before they asked for a new one. Kept: the entries written
    under it still open only with it."""

    __tablename__ = "retired_trail_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    trail_key: Mapped[bytes] = mapped_column(LargeBinary(TRAIL_KEY_BYTES))
    retired_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class ConsentRecord(Base):
    """One consent event (ISO/IEC TS 27560): granted, withdrawn or objected, for one scope.

    The scope is an agreement or a purpose (exactly one), optionally narrowed to one
    recipient organisation. ``ledger_index`` is the index of the public entry recording it.
    """

    __tablename__ = "consent_records"
    __table_args__ = (
        _one_of("state", ConsentStatus, "state"),
        _one_of("captured_via", CaptureMethod, "captured_via"),
        _one_of("purpose", Purpose, "purpose"),
        CheckConstraint(
            "(agreement_id IS NULL AND purpose IS NOT NULL) "
            "OR (agreement_id IS NOT NULL AND purpose IS NULL)",
            name="one_scope",
        ),
        CheckConstraint(
            f"state <> '{ConsentStatus.GRANTED.value}' OR wording IS NOT NULL",
            name="granted_has_wording",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"))
    purpose: Mapped[str | None] = mapped_column(Slug)
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"))
    state: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    captured_via: Mapped[str] = mapped_column(String(20))
    # None only for the citizen's own action in the portal (or a partner system's relay).
    captured_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    wording: Mapped[str | None] = mapped_column(Text)
    # "sha256:<hex>" of the wording: the ledger carries this, never the text.
    wording_version: Mapped[str | None] = mapped_column(String(80))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    ledger_index: Mapped[int] = mapped_column(BigInteger, unique=True)
