"""The stored ledger: durable appends, integration, proofs from storage, fsck, overload."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from factories.databases import fresh_database, migrated_engine, rolled_back
from sharewell import db
from sharewell.ledger import merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.errors import LedgerBusy
from sharewell.ledger.fsck import fsck
from sharewell.ledger.models import LedgerEntry, LedgerNode
from sharewell.ledger.note import Signer

SIGNER = Signer.generate("test.example/ledger")


def entries(count: int, start: int = 0) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(start, start + count)]


def test_appends_get_consecutive_indexes(session: Session) -> None:
    assert ledger.append(session, entries(3)) == [0, 1, 2]
    assert ledger.append(session, entries(2, 3)) == [3, 4]
    assert ledger.append(session, []) == []
    assert ledger.get_entry(session, 4) == b"entry 4"
    assert ledger.sequenced_size(session) == 5


def test_a_rolled_back_append_leaves_no_trace(session: Session) -> None:
    with session.begin_nested() as caller:
        ledger.append(session, entries(3))
        caller.rollback()
    assert ledger.sequenced_size(session) == 0
    assert ledger.append(session, [b"kept"]) == [0]


def test_integration_signs_a_checkpoint_over_every_entry(session: Session) -> None:
    ledger.append(session, entries(1000))
    checkpoint = ledger.integrate(session, SIGNER)
    assert checkpoint is not None
    assert checkpoint.size == 1000
    expected = merkle.root_from_leaf_hashes(merkle.leaf_hash(e) for e in entries(1000))
    assert checkpoint.root_hash == expected
    signed = SignedCheckpoint.from_text(checkpoint.note, [SIGNER.verifier()])
    assert (signed.checkpoint.size, signed.checkpoint.root_hash) == (1000, expected)
    assert ledger.integrate(session, SIGNER) is None  # nothing new
    assert ledger.tree_root(session, 1000) == expected


def test_the_empty_log_gets_a_checkpoint(session: Session) -> None:
    checkpoint = ledger.integrate(session, SIGNER)
    assert checkpoint is not None
    assert (checkpoint.size, checkpoint.root_hash) == (0, merkle.EMPTY_ROOT)


def test_proofs_wait_for_integration(session: Session) -> None:
    ledger.append(session, entries(4))
    with pytest.raises(ledger.SizeNotCheckpointed, match="covers 0 entries"):
        ledger.inclusion_proof(session, 0, 4)
    ledger.integrate(session, SIGNER)
    with pytest.raises(ledger.EntryNotFound):
        ledger.inclusion_proof(session, 4, 4)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.integers(1, 70), min_size=1, max_size=6), data=st.data())
def test_every_proof_from_storage_verifies(
    engine: Engine, batches: list[int], data: st.DataObject
) -> None:
    with rolled_back(engine) as session:
        sizes = []
        for count in batches:
            ledger.append(session, entries(count, ledger.sequenced_size(session)))
            checkpoint = ledger.integrate(session, SIGNER)
            assert checkpoint is not None
            sizes.append(checkpoint.size)
        size = data.draw(st.sampled_from(sizes))
        index = data.draw(st.integers(0, size - 1))
        root = ledger.tree_root(session, size)
        leaf = merkle.leaf_hash(f"entry {index}".encode())
        merkle.verify_inclusion(
            index, size, leaf, ledger.inclusion_proof(session, index, size), root
        )
        older = data.draw(st.sampled_from([s for s in sizes if s <= size]))
        merkle.verify_consistency(
            older,
            size,
            ledger.consistency_proof(session, older, size),
            ledger.tree_root(session, older),
            root,
        )
        stored = ledger.checkpoint_at(session, size)
        assert stored is not None
        assert stored.root_hash == root


@pytest.fixture
def integrated(session: Session) -> Session:
    ledger.append(session, entries(600))
    ledger.integrate(session, SIGNER)
    ledger.append(session, entries(100, 600))
    ledger.integrate(session, SIGNER)
    return session


def test_fsck_is_clean_on_an_untouched_log(integrated: Session) -> None:
    report = fsck(integrated, SIGNER.verifier())
    assert report.problems == []
    assert report.entries == 700
    assert report.checkpoints_checked == 2


def test_fsck_finds_a_rewritten_entry(integrated: Session) -> None:
    integrated.execute(
        update(LedgerEntry).where(LedgerEntry.index == 123).values(data=b"quietly rewritten")
    )
    assert (
        "entry 123 does not hash to its stored leaf hash"
        in fsck(integrated, SIGNER.verifier()).problems
    )


def test_fsck_finds_a_rewritten_tree_node(integrated: Session) -> None:
    integrated.execute(
        update(LedgerNode).where(LedgerNode.level == 3, LedgerNode.k == 5).values(hash=bytes(32))
    )
    assert (
        "tree node (3, 5) does not match the entries below it"
        in fsck(integrated, SIGNER.verifier()).problems
    )


def test_fsck_finds_a_rewritten_entry_and_leaf(integrated: Session) -> None:
    forged = b"forged"
    integrated.execute(
        update(LedgerEntry)
        .where(LedgerEntry.index == 7)
        .values(data=forged, leaf_hash=merkle.leaf_hash(forged))
    )
    problems = fsck(integrated, SIGNER.verifier()).problems
    assert "tree node (1, 3) does not match the entries below it" in problems
    assert "the checkpoint at size 600 does not match the entries' tree root" in problems


def test_fsck_refuses_a_checkpoint_signed_by_another_key(integrated: Session) -> None:
    other = Signer.generate("test.example/ledger")
    problems = fsck(integrated, other.verifier()).problems
    assert any(problem.startswith("the latest checkpoint:") for problem in problems)


@pytest.fixture
def own_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_database(tmp_path_factory.mktemp("busy")) as url:
        engine = migrated_engine(url)
        yield engine
        engine.dispose()


def test_a_second_writer_is_told_the_ledger_is_busy(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger, "APPEND_LOCK_TIMEOUT_MS", 100)
    impatient = db.make_engine(
        own_engine.url.render_as_string(hide_password=False), sqlite_busy_timeout_ms=100
    )
    with db.session_factory(own_engine)() as first, first.begin():
        ledger.append(first, [b"first writer holds the sequence"])
        with db.session_factory(impatient)() as second, second.begin():
            with pytest.raises(LedgerBusy) as caught:
                ledger.append(second, [b"second writer"])
            assert caught.value.retry_after >= 1
    impatient.dispose()
    with db.transaction(own_engine) as session:
        assert ledger.sequenced_size(session) == 1
