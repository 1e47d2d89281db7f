"""`sharewell notifications outbox | send` on a fresh database of the kind under test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from sharewell import db
from sharewell.cli import run
from sharewell.consent import services as consent
from sharewell.notifications import cli as notifications_cli
from sharewell.notifications import services as notifications
from sharewell.notifications.models import OutboxMessage
from sharewell.register.catalogue import load_catalogue

NOW = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def queued(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Two messages waiting for a citizen who opted in; returns the database URL."""
    monkeypatch.setenv("SHAREWELL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.delenv("SHAREWELL_NOTIFY_API_KEY", raising=False)
    # Rich reads COLUMNS once, when the console is made: give the command a wide one.
    monkeypatch.setattr(notifications_cli, "console", Console(width=200, soft_wrap=True))
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        load_catalogue(session)
        subject = consent.resolve_subject(session, "nino", "AB123456C", create=True)
        notifications.opt_in(session, subject.id, "reader.one@example.net", NOW)
        notifications.notify_decisions(
            session,
            [
                notifications.DecisionMade(subject.id, index, "dwp", "fraud-and-error", "deny", NOW)
                for index in (7, 8)
            ],
        )
    engine.dispose()
    return database_url


def sent_count(database_url: str) -> int:
    engine = db.make_engine(database_url)
    try:
        with db.transaction(engine) as session:
            return (
                session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_not(None))) or 0
            )
    finally:
        engine.dispose()


def test_outbox_lists_pending_then_send_marks_them_sent(
    queued: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["notifications", "outbox"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("pending") == 2
    assert "reader.one@example.net" in listing
    assert "nothing was shared (record 8)" in listing
    assert "2 waiting to be sent." in listing

    assert run(["notifications", "send", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "outbox only (nothing is sent)" in out
    assert "Sent 1; 0 failed" in out
    assert sent_count(queued) == 1

    assert run(["notifications", "send"]) == 0
    assert "Sent 1; 0 failed" in capsys.readouterr().out
    assert run(["notifications", "outbox", "--pending"]) == 0
    assert "0 waiting to be sent." in capsys.readouterr().out
    assert sent_count(queued) == 2


def test_send_refuses_a_half_configured_notify_and_sends_nothing(
    queued: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_NOTIFY_API_KEY", "key-without-a-template")
    monkeypatch.delenv("SHAREWELL_NOTIFY_TEMPLATE_DATA_USED", raising=False)

    assert run(["notifications", "send"]) == 1
    assert "no template id is set for: data_used" in capsys.readouterr().err
    assert sent_count(queued) == 0
