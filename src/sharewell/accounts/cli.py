"""`sharewell staff …`: give a member of staff a password and a second factor."""

from __future__ import annotations

import typer

from sharewell.accounts import services as accounts
from sharewell.cli_support import console, unit_of_work

app = typer.Typer(help="Staff sign-in: passwords and security codes.", no_args_is_help=True)


@app.command("set-password")
def set_password(
    email: str = typer.Argument(..., help="The staff member's email, as in the register."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters."
    ),
) -> None:
    """Set a password and a new authenticator-app key (the old key stops working)."""
    with unit_of_work() as session:
        enrolment = accounts.set_credentials(session, email, password)
    console.print(f"Password set for {email}. Add this key to their authenticator app:")
    console.print(f"  {enrolment.provisioning_uri}", markup=False, highlight=False)
    console.print("(or type the key in by hand: " + enrolment.secret + ")", markup=False)
