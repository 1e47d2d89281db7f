"""The ledger's tables: entries in sequence order, perfect subtree hashes, checkpoints.

Sequencing (an index assigned in the caller's transaction) is kept apart from integration
(tree hashes and a signed checkpoint, done by the sequencer), as Tessera does: appending costs
one counter update and one insert, and the tree is built behind it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.db import Base


class LedgerSequence(Base):
    """One row: how many entries have been sequenced. Its row lock orders concurrent appends."""

    __tablename__ = "ledger_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    next_index: Mapped[int] = mapped_column(BigInteger)


class LedgerIntegration(Base):
    """One row: how many entries the tree hashes and the latest checkpoint cover."""

    __tablename__ = "ledger_integration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    integrated_size: Mapped[int] = mapped_column(BigInteger)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerNode(Base):
    """Hash of the perfect subtree of leaves [k·2^level, (k+1)·2^level), for level ≥ 1.

    Level 0 (the leaf hashes) lives in ``ledger_entries``; these are written once and never
    change, which is what makes an append-only log cheap to prove: O(log n) reads a proof.
    """

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    k: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerCheckpoint(Base):
    """Every signed checkpoint is kept, so any two can be proved consistent."""

    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LedgerCosignature(Base):
    """A witness's cosignature line (C2SP tlog-cosignature) on a stored checkpoint."""

    __tablename__ = "ledger_cosignatures"

    checkpoint_size: Mapped[int] = mapped_column(
        ForeignKey("ledger_checkpoints.size"), primary_key=True
    )
    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
