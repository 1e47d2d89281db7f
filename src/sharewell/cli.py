"""`sharewell …`: one command per job. Domain errors become a message and an exit code here."""

from __future__ import annotations

import sys

import click
import typer

from sharewell.accounts.cli import app as staff_app
from sharewell.broker.client_cli import app as clients_app
from sharewell.cli_support import EXIT_CODES, console, errors, open_engine, unit_of_work
from sharewell.config import load_settings
from sharewell.demo.cli import app as demo_app
from sharewell.errors import SharewellError
from sharewell.ledger.cli import app as ledger_app
from sharewell.ledger.cli import verify_app
from sharewell.notifications.cli import app as notifications_app
from sharewell.register.cli import app as register_app
from sharewell.register.cli import dataset_app

app = typer.Typer(
    help="Sharewell: lawful sharing of benefit data, with a ledger every citizen can check.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.command()
def init() -> None:
    """Create the database (or bring it up to date) and load the gateway catalogue."""
    from sharewell.ledger.keys import ensure_signing_key, signing_key_path
    from sharewell.register.services import prepare_register

    settings = load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    signer, created = ensure_signing_key(settings)
    with unit_of_work() as session:
        gateways, rules, expired = prepare_register(session)
    console.print(f"Database ready: {settings.database_url.split('@')[-1]}")
    console.print(f"Gateway catalogue: {gateways} gateways and {rules} benefit rules updated.")
    if created:
        console.print(f"Created the ledger signing key {signing_key_path(settings)} (mode 0600).")
    console.print(f"Ledger verifier key: {signer.vkey}")
    if expired:
        console.print(
            f"Expired {len(expired)} agreements past their end date: {', '.join(expired)}"
        )


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the register, portals and API."""
    import uvicorn

    from sharewell.ledger.keys import load_signer, signing_key_path
    from sharewell.web.app import create_app

    open_engine().dispose()
    base = f"http://{host}:{port}"
    console.print(f"Sharewell is at {base}/")
    console.print(f"  Register of agreements: {base}/register")
    console.print(f"  Legal gateways:         {base}/register/gateways")
    console.print(f"  Register as JSON:       {base}/api/v1/register/agreements")
    console.print(f"  Transparency log:       {base}/log/checkpoint (tiles under /log/tile/)")
    settings = load_settings()
    if signing_key_path(settings).exists():
        console.print(f"  Log verifier key:       {load_signer(settings).vkey}")
    console.print("Press Ctrl+C to stop.")
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


def run(argv: list[str]) -> int:
    """Run one command line and return its exit code (what `main` and the tests use)."""
    try:
        # Without standalone mode, click answers a command's ``typer.Exit`` with its code.
        code = app(args=argv, prog_name="sharewell", standalone_mode=False)
    except SharewellError as error:
        errors.print(f"[bold red]Error:[/] {error.diagnostics()}", highlight=False)
        return next(code for kind, code in EXIT_CODES if isinstance(error, kind))
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as usage:
        usage.show()
        return usage.exit_code
    except click.exceptions.Abort:
        errors.print("Aborted.")
        return 1
    return code if isinstance(code, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))


app.add_typer(register_app, name="register")
app.add_typer(dataset_app, name="dataset")
app.add_typer(demo_app, name="demo")
app.add_typer(ledger_app, name="ledger")
app.add_typer(verify_app, name="verify")
app.add_typer(clients_app, name="clients")
app.add_typer(staff_app, name="staff")
app.add_typer(notifications_app, name="notifications")
