"""The notifications tables.

``notification_preferences``: the citizens who asked to be told when data about them is used,
and the email address their sign-in gave. ``notification_outbox``: each message owed to one of
them, written in the same transaction as the decision it tells of, then sent (or retried) by
``sharewell notifications send``. A message's personalisation names who asked, why, the outcome,
when and the ledger record: never a field value and never an identifier such as a NINO.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.db import Base, UtcDateTime

EMAIL_LENGTH = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
TEMPLATE_LENGTH = 50
REFERENCE_LENGTH = 100


class Template(StrEnum):
    """The messages sharewell sends; each has a template of its own at GOV.UK Notify."""

    DATA_USED = "data_used"  # data about you was asked for, and this is what was decided


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"

    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    opted_in_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class OutboxMessage(Base):
    __tablename__ = "notification_outbox"
    # The sender reads the oldest unsent messages first.
    __table_args__ = (Index("ix_notification_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("subjects.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH))
    template: Mapped[str] = mapped_column(String(TEMPLATE_LENGTH))
    personalisation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # What the sender called it (GOV.UK Notify's notification id), once sent.
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
