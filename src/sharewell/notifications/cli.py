"""`sharewell notifications …`: see the outbox, and send what is waiting in it."""

from __future__ import annotations

import typer
from rich.table import Column, Table

from sharewell.cli_support import console, open_engine, unit_of_work
from sharewell.db import session_factory
from sharewell.notifications import services as notifications
from sharewell.progress import progress_bar

# The senders (and with them an HTTP client) are imported by `send` alone, so `sharewell --help`
# and the other commands start without them.

app = typer.Typer(
    help="Notifications: emails to citizens who asked to be told when their data is used.",
    no_args_is_help=True,
)


def _status(row: notifications.OutboxRow) -> str:
    if row.sent_at is not None:
        return f"sent {row.sent_at:%Y-%m-%d %H:%M}"
    if row.attempts >= notifications.MAX_ATTEMPTS:
        return f"given up after {row.attempts} tries"
    if row.attempts:
        return f"pending (failed {row.attempts}x)"
    return "pending"


@app.command()
def outbox(
    pending: bool = typer.Option(False, "--pending", help="Only messages not sent yet."),
    limit: int = typer.Option(50, min=1, max=10_000, help="How many, newest first."),
) -> None:
    """List the newest messages in the outbox: pending, sent, and failing ones with the error."""
    table = Table(
        Column("id", no_wrap=True, justify="right"),
        Column("queued", no_wrap=True),
        Column("status", no_wrap=True),
        "to",
        "message",
        "last error",
    )
    with unit_of_work() as session:
        rows = notifications.outbox(session, pending_only=pending, limit=limit)
        waiting = notifications.pending_count(session)
    for row in rows:
        said = row.personalisation
        table.add_row(
            str(row.id),
            f"{row.created_at:%Y-%m-%d %H:%M}",
            _status(row),
            row.email,
            f"{row.template}: {said.get('organisation', '')}, {said.get('outcome', '')} "
            f"(record {said.get('ledger_index', '?')})",
            row.last_error or "",
        )
    console.print(table)
    console.print(f"{waiting} waiting to be sent.")


@app.command()
def send(
    limit: int = typer.Option(1_000, min=1, max=1_000_000, help="At most this many messages."),
) -> None:
    """Send the waiting messages with the configured sender (GOV.UK Notify when
    SHAREWELL_NOTIFY_API_KEY is set; otherwise they are only marked sent, and nothing leaves
    this machine). Failures stay in the outbox and are retried by the next run."""
    from sharewell.notifications.senders import sender_from_environment

    sender = sender_from_environment()
    console.print(f"Sender: {sender.name}")
    engine = open_engine()
    try:
        with session_factory(engine)() as session:
            total = min(limit, notifications.pending_count(session))
            session.commit()
            with progress_bar() as bar:
                task = bar.add_task("Sending", total=total)
                report = notifications.deliver(
                    session, sender, limit, on_each=lambda: bar.advance(task)
                )
    finally:
        engine.dispose()
    console.print(
        f"Sent {report.sent}; {report.failed} failed "
        f"(each is retried by the next run, up to {notifications.MAX_ATTEMPTS} tries)."
    )
