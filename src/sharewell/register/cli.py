"""`sharewell register …` and `sharewell dataset …`: the register from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from pydantic import BaseModel
from rich.table import Table

from sharewell.accounts import staff as staff_accounts
from sharewell.cli_support import console, unit_of_work
from sharewell.progress import progress_bar
from sharewell.register import services
from sharewell.register.dataset_import import import_dataset_csv
from sharewell.register.errors import RegisterInputInvalid
from sharewell.register.schemas import AgreementDocument, OrganisationDocument
from sharewell.register.vocabulary import AgreementStatus

app = typer.Typer(
    help="Gateways, organisations and information-sharing agreements.", no_args_is_help=True
)
dataset_app = typer.Typer(
    help="Datasets a body holds: load its CSV extracts.", no_args_is_help=True
)


class _ValidationOnly(Exception):
    """Raised to roll back a validation run after everything has been checked."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegisterInputInvalid(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise RegisterInputInvalid(f"{path} is not UTF-8 text.") from None


def _print_report(report: services.ImportReport, verb: str) -> None:
    for label in report.created:
        console.print(f"  {verb} {label}")
    for label in report.updated:
        console.print(f"  updated {label}")
    for label in report.unchanged:
        console.print(f"  unchanged {label}")
    for warning in report.warnings:
        console.print(f"  [yellow]warning:[/] {warning}", highlight=False)


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(
        ..., help="YAML files of organisation/v1 and agreement/v1 documents."
    ),
    update: bool = typer.Option(
        False, help="Replace existing organisations and draft agreements whose details differ."
    ),
) -> None:
    """Import organisations and agreements. All files load, or nothing does."""
    with unit_of_work() as session:
        for path in files:
            report = services.import_documents(
                session, _read(path), source=str(path), update=update
            )
            console.print(f"{path}:")
            _print_report(report, "created")
    console.print("Imported. New agreements are drafts until a DPO activates them.")


@app.command()
def validate(files: list[Path] = typer.Argument(..., help="YAML files to check.")) -> None:
    """Check files against the schema and the register without changing anything."""
    try:
        with unit_of_work() as session:
            for path in files:
                report = services.import_documents(session, _read(path), source=str(path))
                console.print(f"{path}: valid")
                _print_report(report, "would create")
            raise _ValidationOnly
    except _ValidationOnly:
        pass


@app.command()
def export(
    agreements: list[str] = typer.Argument(
        None, help="Agreement ids (default: the whole register)."
    ),
    organisation: str | None = typer.Option(
        None, help="Only this organisation and the agreements it discloses under."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)."
    ),
) -> None:
    """Export agreements (and organisations) as versioned YAML, ready to import elsewhere."""
    with unit_of_work() as session:
        if agreements:
            text = services.export_agreements(session, agreements)
        else:
            text = services.export_register(session, organisation)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"Wrote {output}")


@app.command()
def copy(
    source: str = typer.Argument(..., help="Id of the published agreement to copy."),
    into: str = typer.Option(..., help="Organisation that will disclose under the copy."),
    new_id: str | None = typer.Option(
        None, "--id", help="Id for the copy (default: <into>-<source's name>)."
    ),
    recipient: list[str] = typer.Option(
        None, help="Recipient of the copy (repeat; default: the original's recipients)."
    ),
    valid_from: dt.date | None = typer.Option(None, formats=["%Y-%m-%d"]),
    valid_until: dt.date | None = typer.Option(None, formats=["%Y-%m-%d"]),
    by: str | None = typer.Option(None, help="Email of the DPO making the copy."),
) -> None:
    """Copy an agreement as a draft template into another council (a replicable scheme)."""
    with unit_of_work() as session:
        actor = staff_accounts.by_email(session, by) if by else None
        agreement = services.copy_agreement(
            session,
            source,
            into=into,
            new_id=new_id,
            recipients=recipient or None,
            valid_from=valid_from.date() if isinstance(valid_from, dt.datetime) else valid_from,
            valid_until=(
                valid_until.date() if isinstance(valid_until, dt.datetime) else valid_until
            ),
            actor=actor,
        )
        console.print(f"Created draft {agreement.id} from {source} for {into}.")


@app.command()
def status(
    agreement: str = typer.Argument(..., help="Agreement id."),
    to: AgreementStatus = typer.Argument(..., help="New status."),
    by: str = typer.Option(..., help="Email of the DPO making the change."),
    reason: str = typer.Option(
        "", help="Why (kept in the agreement's history; never written to the public log)."
    ),
) -> None:
    """Activate, suspend or expire an agreement (a DPO of a party only)."""
    with unit_of_work() as session:
        actor = staff_accounts.by_email(session, by)
        changed = services.change_status(session, agreement, to, actor=actor, reason=reason)
        console.print(f"{changed.id} is now {changed.status}.")


@app.command("list")
def list_() -> None:
    """List every agreement with its status."""
    today = dt.date.today()
    table = Table("id", "status", "discloser", "recipients", "valid", "derived from")
    with unit_of_work() as session:
        for agreement in services.list_agreements(session):
            table.add_row(
                agreement.id,
                services.effective_status(agreement, today).value,
                agreement.discloser_id,
                ", ".join(r.organisation_id for r in agreement.recipients),
                f"{agreement.valid_from} to {agreement.valid_until}",
                agreement.derived_from_id or "",
            )
    console.print(table)


@app.command()
def gateways() -> None:
    """List the legal gateways in the catalogue."""
    table = Table("id", "kind", "status", "consent", "citation")
    with unit_of_work() as session:
        for gateway in services.list_gateways(session):
            table.add_row(
                gateway.id,
                gateway.kind,
                gateway.status,
                "required" if gateway.consent_required else "",
                gateway.citation,
            )
    console.print(table)


@app.command()
def schema(
    kind: str = typer.Argument("agreement", help="agreement or organisation"),
) -> None:
    """Print the JSON Schema of a document kind."""
    models: dict[str, type[BaseModel]] = {
        "agreement": AgreementDocument,
        "organisation": OrganisationDocument,
    }
    if kind not in models:
        raise RegisterInputInvalid(f"There is no '{kind}' document; use agreement or organisation.")
    typer.echo(json.dumps(models[kind].model_json_schema(), indent=2))


@dataset_app.command("import")
def dataset_import(
    dataset: str = typer.Argument(
        ..., help="ORGANISATION/DATASET, e.g. northbridge/housing-benefit-claims"
    ),
    file: Path = typer.Argument(..., help="CSV file with a header row of the dataset's fields."),
) -> None:
    """Load a CSV extract into a dataset, replacing its rows. A bad file imports nothing."""
    organisation_id, _, key = dataset.partition("/")
    if not key:
        raise RegisterInputInvalid(f"'{dataset}' should be ORGANISATION/DATASET.")
    if not file.exists():
        raise RegisterInputInvalid(f"{file} does not exist.")
    with progress_bar() as bar, unit_of_work() as session:
        task = bar.add_task(f"Checking and loading {file.name}", total=None)
        result = import_dataset_csv(
            session, organisation_id, key, file, progress=lambda n: bar.advance(task, n)
        )
    console.print(
        f"Loaded {result.rows} rows into {result.dataset} (replacing {result.replaced}); "
        f"sha256 {result.sha256}."
    )
