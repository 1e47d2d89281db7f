"""`sharewell clients …`: register, list and revoke the machine clients that call the API."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Column, Table

from sharewell.broker.errors import ApiClientInputInvalid
from sharewell.cli_support import console, errors, unit_of_work

# client_auth (and with it FastAPI) is imported inside each command, so `sharewell --help`
# and the other commands start without loading the web stack.

app = typer.Typer(
    help="API clients: partner systems that sign their requests with an Ed25519 key.",
    no_args_is_help=True,
)


def _read_public_key(value: str) -> bytes:
    """A file's contents if ``value`` names a file, else ``value`` itself (base64)."""
    path = Path(value)
    try:
        if path.is_file():
            return path.read_bytes()
    except OSError as error:
        raise ApiClientInputInvalid(f"{value} cannot be read: {error.strerror}.") from None
    return value.encode("utf-8")


@app.command()
def add(
    organisation: str = typer.Option(..., help="Id of the organisation the system belongs to."),
    name: str = typer.Option(..., help="A name people will recognise, e.g. 'Housing system'."),
    public_key: str = typer.Option(
        ...,
        "--public-key",
        help="File holding the Ed25519 public key (PEM or OpenSSH), or the base64 of its "
        "raw 32 bytes.",
    ),
) -> None:
    """Register a system's public key. Prints the key id it must sign with."""
    from sharewell.broker import client_auth

    raw = client_auth.parse_public_key(_read_public_key(public_key))
    with unit_of_work() as session:
        client = client_auth.register_client(
            session, organisation_id=organisation, name=name, public_key=raw
        )
        key_id = client.key_id
    errors.print(
        f"Registered '{name}' for {organisation}. Give its operators this key id; they sign "
        'every request with keyid="<key id>" and alg="ed25519" (see docs/api.md).',
        highlight=False,
    )
    typer.echo(key_id)


@app.command("list")
def list_(
    organisation: str | None = typer.Option(None, help="Only this organisation's clients."),
) -> None:
    """List API clients with their status. A key id starts with its organisation's id."""
    from sharewell.broker import client_auth

    # The key id is never wrapped, so it can be copied whole into `sharewell clients revoke`.
    table = Table(
        Column("key id", no_wrap=True),
        Column("status", no_wrap=True),
        Column("registered", no_wrap=True),
        "name",
    )
    with unit_of_work() as session:
        for client in client_auth.list_clients(session, organisation):
            table.add_row(
                client.key_id,
                client.status,
                f"{client.created_at:%Y-%m-%d}",
                client.name,
            )
    console.print(table)


@app.command()
def revoke(key_id: str = typer.Argument(..., help="Key id of the client to revoke.")) -> None:
    """Revoke a client's key: its next request is refused."""
    from sharewell.broker import client_auth

    with unit_of_work() as session:
        changed = client_auth.revoke_client(session, key_id)
    if changed:
        console.print(f"Revoked {key_id}. Requests signed with it are refused from now on.")
    else:
        console.print(f"{key_id} was already revoked.")
