"""`sharewell demo seed`: a synthetic borough, its register and its data, ready to explore."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import partial
from importlib import resources
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sharewell.accounts import services as accounts
from sharewell.accounts import staff as staff_accounts
from sharewell.cli_support import console, open_engine, unit_of_work
from sharewell.config import DEMO_OIDC_CLIENT_ID, DEMO_OIDC_CLIENT_SECRET, load_settings
from sharewell.consent import services as consent
from sharewell.consent.schemas import ConsentScope
from sharewell.db import transaction
from sharewell.demo.borough import generate_borough
from sharewell.demo.oidc_provider import DemoUser, build_provider, read_users, write_users
from sharewell.progress import progress_bar
from sharewell.register import services
from sharewell.register.dataset_import import LastImport, import_dataset_csv, last_import
from sharewell.register.vocabulary import AgreementStatus

app = typer.Typer(
    help="The synthetic borough for demos, tests and benchmarks.", no_args_is_help=True
)

# The agreements the demo shows in force, each activated by its discloser's DPO.
DEMO_ACTIVATIONS = {
    "dwp-northbridge-welfare-services": "dpo@dwp.example",
    "northbridge-hb-fsm-consent": "dpo@northbridge.example",
    "northbridge-southmere-shared-service": "dpo@northbridge.example",
    "northbridge-advice-referrals": "dpo@northbridge.example",
}

# Made-up staff of a made-up borough: a known password is what lets anyone try the demo.
DEMO_PASSWORD = "demo-password-for-made-up-staff"  # noqa: S105
DEMO_SIGN_INS = {
    "Northbridge DPO": "dpo@northbridge.example",
    "Northbridge benefits officer": "officer@northbridge.example",
    "Southmere DPO": "dpo@southmere.example",
    "DWP DPO": "dpo@dwp.example",
    "Northbridge Schools officer": "office@schools.northbridge.example",
}


def activate_demo_agreements(session: Session, *, today: dt.date | None = None) -> None:
    """Put the demo's agreements in force, each by its discloser's DPO (those still drafts)."""
    for agreement_id, dpo in DEMO_ACTIVATIONS.items():
        if services.get_agreement(session, agreement_id).status == AgreementStatus.DRAFT:
            services.change_status(
                session,
                agreement_id,
                AgreementStatus.ACTIVE,
                actor=staff_accounts.by_email(session, dpo),
                reason="Demo: signed off by both parties.",
                today=today,
            )


def demo_register_text() -> str:
    return (
        resources.files("sharewell.demo")
        .joinpath("data")
        .joinpath("register.yaml")
        .read_text("utf-8")
    )


@app.command()
def seed(
    people: int = typer.Option(2_000, min=1, max=10_000_000, help="People in the borough."),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same borough."),
    load: bool = typer.Option(
        True, help="Load the extracts into the datasets (else only write the CSV files)."
    ),
) -> None:
    """Create the demo register and a reproducible synthetic borough. Safe to run again."""
    settings = load_settings()
    engine = open_engine()
    try:
        with transaction(engine) as session:
            services.prepare_register(session)
            report = services.import_documents(session, demo_register_text(), source="demo")
            activate_demo_agreements(session)
        console.print(
            f"Register: {len(report.created)} created, {len(report.unchanged)} already there."
        )

        out_dir = settings.home / "borough" / f"people-{people}-seed-{seed}"
        if out_dir.exists():
            console.print(f"Borough already generated in {out_dir}")
        else:
            with progress_bar() as bar:
                task = bar.add_task("Generating people", total=people)
                summary = generate_borough(
                    out_dir, people=people, seed=seed, progress=lambda n: bar.advance(task, n)
                )
            console.print(
                f"Generated {summary.people} people in {summary.households} households "
                f"into {out_dir}"
            )
        if load:
            _load_extracts(engine, out_dir)
        with transaction(engine) as session:
            enrolled = _enrol_demo_staff(session)
            consented, not_asked = _demo_consents(session) if load else ([], [])
    finally:
        engine.dispose()
    console.print("Demo staff, for commands that take --by and for the staff pages:")
    for who, email in DEMO_SIGN_INS.items():
        console.print(f"  {who}: {email}")
    console.print(
        f"Staff sign in at /staff/sign-in with the password '{DEMO_PASSWORD}'; "
        "`sharewell demo code EMAIL` shows the security code an authenticator app would."
        + (f" ({enrolled} demo staff set up now.)" if enrolled else "")
    )
    if consented and not_asked:
        users = _write_demo_citizens(settings.home, consented[:3], not_asked[:3])
        console.print(
            f"Residents sign in at /your-data (the local sign-in service, `sharewell demo "
            f"oidc-provider`) with the password '{DEMO_CITIZEN_PASSWORD}': "
            + ", ".join(f"{u.email} ({u.nino})" for u in users[:4])
            + f". All are in {demo_users_path(settings.home)}."
        )
        console.print(
            f"Parents on Housing Benefit who have agreed to their school being told: "
            f"{', '.join(consented[:3])}; who have not been asked: {', '.join(not_asked[:3])}. "
            f"Sign in as office@schools.northbridge.example and ask about them for free "
            f"school meals under {DEMO_CONSENT_AGREEMENT}."
        )


DEMO_CONSENT_AGREEMENT = "northbridge-hb-fsm-consent"
DEMO_CONSENTING_CLAIMANTS = 40  # of the first 80 claimants, every other one has consented


def _demo_consents(session: Session) -> tuple[list[str], list[str]]:
    """Every other one of the first Housing Benefit claimants has consented, on paper, to
    their child's school being told (once: a claimant with any consent record is left as is).
    Returns claimants who have consented and claimants who have not been asked."""
    ninos = services.dataset_ninos(
        session, "northbridge", "housing-benefit-claims", limit=2 * DEMO_CONSENTING_CLAIMANTS
    )
    officer = staff_accounts.by_email(session, "officer@northbridge.example")
    for nino in ninos[::2]:
        subject = consent.resolve_subject(session, "nino", nino, create=True)
        if not consent.consent_history(session, subject.id):
            consent.record_consent(
                session,
                subject_id=subject.id,
                scope=ConsentScope.for_agreement(DEMO_CONSENT_AGREEMENT),
                state="granted",
                captured_via="paper",
                captured_by=officer,
                wording="I agree that Northbridge Council may tell my child's school that I get "
                "Housing Benefit, so that my child can have free school meals.",
            )
    return ninos[::2], ninos[1::2]


DEMO_CITIZEN_PASSWORD = "demo-password-for-made-up-residents"  # noqa: S105


def demo_users_path(home: Path) -> Path:
    return home / "demo" / "oidc-users.json"


def _write_demo_citizens(home: Path, consented: list[str], not_asked: list[str]) -> list[DemoUser]:
    """Sign-ins for the local provider: parents who consented and parents not yet asked."""
    users = [
        DemoUser(f"parent{n}@example.com", DEMO_CITIZEN_PASSWORD, f"Demo parent {n}", nino)
        for n, nino in enumerate([*consented, *not_asked], start=1)
    ]
    write_users(demo_users_path(home), users)
    return users


@app.command("oidc-provider")
def oidc_provider(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8001, min=1, max=65535, help="Port to listen on."),
    users: Path | None = typer.Option(
        None, help="The users file (default: the one `sharewell demo seed` wrote)."
    ),
    client_id: str = typer.Option(DEMO_OIDC_CLIENT_ID, help="The one client it serves."),
    client_secret: str = typer.Option(DEMO_OIDC_CLIENT_SECRET, help="That client's secret."),
    redirect_uri: list[str] = typer.Option(
        ["http://127.0.0.1:8000/sign-in/callback", "http://localhost:8000/sign-in/callback"],
        help="Where the client may be sent back to (repeat for more).",
    ),
) -> None:
    """Run the local OpenID Connect provider residents sign in with in the demo."""
    import uvicorn

    path = users or demo_users_path(load_settings().home)
    if not path.exists():
        raise typer.BadParameter(
            f"There is no users file at {path}. Run `sharewell demo seed` first.",
            param_hint="--users",
        )
    app_, state = build_provider(f"http://{host}:{port}")
    state.add_client(client_id, client_secret, redirect_uri)
    for user in read_users(path):
        state.add_user(user.email, user.password, user.name, user.nino)
    console.print(f"Demo sign-in service on http://{host}:{port} for {len(state.users)} residents")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


def _enrol_demo_staff(session: Session) -> int:
    """Give every made-up member of staff without a password the demo one (and a TOTP key)."""
    enrolled = 0
    for user in staff_accounts.everyone(session):
        if not accounts.has_credentials(session, user.id):
            accounts.set_credentials(session, user.email, DEMO_PASSWORD)
            enrolled += 1
    return enrolled


@app.command()
def code(email: str = typer.Argument(..., help="A demo staff member's email address.")) -> None:
    """The security code a demo staff member's authenticator app would show now."""
    with unit_of_work() as session:
        console.print(accounts.current_code(session, email, now=dt.datetime.now(dt.UTC)))


def _load_extracts(engine: Engine, out_dir: Path) -> None:
    """Load each extract unless that very file (same name and digest) is already loaded."""
    with progress_bar() as bar:
        for csv_path in sorted(out_dir.glob("*/*.csv")):
            organisation_id, key = csv_path.parent.name, csv_path.stem
            with transaction(engine) as session:
                last = last_import(session, organisation_id, key)
                if (
                    last is not None
                    and last.filename == csv_path.name
                    and _same_file(last, csv_path)
                ):
                    console.print(f"{organisation_id}/{key}: already loaded ({last.rows} rows)")
                    continue
                task = bar.add_task(f"Loading {organisation_id}/{key}", total=_data_rows(csv_path))
                result = import_dataset_csv(
                    session, organisation_id, key, csv_path, progress=partial(bar.advance, task)
                )
                bar.update(task, completed=result.rows)
            console.print(f"{result.dataset}: loaded {result.rows} rows")


def _data_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _same_file(last: LastImport, path: Path) -> bool:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() == last.sha256
