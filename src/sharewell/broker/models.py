"""The broker's tables.

``broker_requests`` and ``broker_decisions``: every request for data and the decision about
each subject, with its ledger index. And the machine clients that may call the API:
``api_clients`` (an organisation's system, its Ed25519 public key and whether it is still
trusted) and ``api_client_nonces`` (every nonce a client has signed with, kept while a replay
of it could still fall inside the time window).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sharewell.db import Base
from sharewell.register.vocabulary import check_constraint_values

ED25519_PUBLIC_KEY_BYTES = 32
KEY_ID_LENGTH = 140  # "<organisation id>.<26-character key fingerprint>"
NONCE_MAX_LENGTH = 128


class ApiClientStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class ApiClient(Base):
    """A machine client of one organisation, known by the key it signs requests with.

    ``key_id`` is derived from the public key, so one key is registered at most once and a
    revoked key can never be registered again.
    """

    __tablename__ = "api_clients"
    __table_args__ = (
        CheckConstraint(f"status IN ({check_constraint_values(ApiClientStatus)})", name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(ED25519_PUBLIC_KEY_BYTES))
    status: Mapped[str] = mapped_column(String(20), default=ApiClientStatus.ACTIVE.value)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.status == ApiClientStatus.ACTIVE.value


class ApiClientNonce(Base):
    """A nonce one key has signed with. A second use of it is a replay.

    ``seen_at`` is the server's time when the request was accepted; rows are pruned once a
    request carrying the nonce could no longer pass the ``created`` window.
    """

    __tablename__ = "api_client_nonces"
    __table_args__ = (
        UniqueConstraint("key_id", "nonce"),
        # Pruning reads one key's oldest rows; this keeps that a short range scan.
        Index("ix_api_client_nonces_key_id_seen_at", "key_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_clients.key_id"))
    nonce: Mapped[str] = mapped_column(String(NONCE_MAX_LENGTH))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def _new_request_id() -> str:
    return str(uuid.uuid4())


class BrokerRequest(Base):
    """One request for data: who asked, for what, and its idempotency key (once per requester).

    It holds no identifier of the people asked about: those were in the request body, and
    each decision row points at a subject id only.
    """

    __tablename__ = "broker_requests"
    __table_args__ = (UniqueConstraint("requester_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_request_id)
    requester_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(100))
    agreement_id: Mapped[str | None] = mapped_column(ForeignKey("agreements.id"))
    fields: Mapped[list[str]] = mapped_column(JSON)
    subject_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    decisions: Mapped[list[BrokerDecision]] = relationship(order_by="BrokerDecision.position")


class BrokerDecision(Base):
    """The decision about one subject of a request, and the ledger entry that records it."""

    __tablename__ = "broker_decisions"
    __table_args__ = (
        UniqueConstraint("request_id", "position"),
        CheckConstraint("outcome IN ('permit', 'partial', 'deny')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("broker_requests.id"))
    position: Mapped[int] = mapped_column(Integer)
    subject_id: Mapped[str | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    released_fields: Mapped[list[str]] = mapped_column(JSON)
    refused_fields: Mapped[list[str]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    ledger_index: Mapped[int] = mapped_column(BigInteger, unique=True)
