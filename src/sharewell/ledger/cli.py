"""`sharewell ledger …` (the operator's side) and `sharewell verify …` (anyone's, offline)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import typer
from rich.table import Table

from sharewell.cli_support import console, open_engine, unit_of_work
from sharewell.config import load_settings
from sharewell.ledger import merkle, publish
from sharewell.ledger import services as ledger
from sharewell.ledger.audit import LogSource, audit_log, iter_entries, open_source
from sharewell.ledger.checkpoint import Checkpoint, SignedCheckpoint
from sharewell.ledger.entries import (
    OpenedEntry,
    commitment_of,
    decode_entry,
    open_entry,
    read_trail_keys,
)
from sharewell.ledger.errors import LedgerError
from sharewell.ledger.fsck import fsck as run_fsck
from sharewell.ledger.keys import (
    ensure_signing_key,
    load_signer,
    load_witnesses,
    rotate_signing_key,
)
from sharewell.ledger.note import Note, Verifier
from sharewell.ledger.note import b64encode as b64
from sharewell.ledger.sequencer import DEFAULT_INTERVAL_SECONDS, Sequencer, integrate_once
from sharewell.ledger.tiles import CHECKPOINT_PATH
from sharewell.progress import progress_bar

app = typer.Typer(
    help="The transparency ledger: checkpoints, proofs, export, fsck.", no_args_is_help=True
)
verify_app = typer.Typer(
    help="Verify a sharewell log offline, needing only its verifier key.", no_args_is_help=True
)
prove_app = typer.Typer(help="Print RFC 9162 proofs as JSON.", no_args_is_help=True)
app.add_typer(prove_app, name="prove")


@app.command("public-key")
def public_key() -> None:
    """Print the log's verifier key (C2SP signed-note: name+keyid+base64)."""
    signer, created = ensure_signing_key(load_settings())
    if created:
        console.print("Created the ledger signing key.", style="dim")
    typer.echo(signer.vkey)


@app.command("rotate-key")
def rotate_key() -> None:
    """Retire the signing key and start signing with a new one.

    See "Rotating the key" in docs/auditor.md.
    """
    signer, retired = rotate_signing_key(load_settings())
    console.print(f"Retired the old key to {retired}. Restart the server so it signs with:")
    typer.echo(signer.vkey)


@app.command()
def checkpoint() -> None:
    """Print the latest signed checkpoint, with witness cosignatures."""
    with unit_of_work() as session:
        typer.echo(publish.latest_checkpoint_text(session), nl=False)


@app.command()
def integrate() -> None:
    """Integrate new entries and sign a checkpoint now (a running server's sequencer does this
    every half second, or every SHAREWELL_CHECKPOINT_INTERVAL seconds)."""
    engine = open_engine()
    try:
        size = integrate_once(engine, load_signer(load_settings()))
    finally:
        engine.dispose()
    console.print(
        "Nothing new to integrate." if size is None else f"Signed a checkpoint at size {size}."
    )


@app.command()
def sequence(
    interval: float = typer.Option(
        DEFAULT_INTERVAL_SECONDS, min=0.05, help="Seconds between rounds."
    ),
) -> None:
    """Run the sequencer in the foreground until interrupted."""
    engine = open_engine()
    sequencer = Sequencer(engine, load_signer(load_settings()), interval=interval)
    console.print(f"Sequencing every {interval} s; Ctrl+C to stop.")
    try:
        sequencer.run()
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


@prove_app.command("inclusion")
def prove_inclusion(
    index: int = typer.Argument(..., min=0),
    size: int | None = typer.Option(
        None, min=1, help="Tree size (default: the latest checkpoint)."
    ),
) -> None:
    """The entry, its inclusion proof and the checkpoint: a bundle to check offline."""
    with unit_of_work() as session:
        latest = ledger.latest_checkpoint(session)
        tree_size = size if size is not None else (latest.size if latest else 0)
        stored = ledger.checkpoint_at(session, tree_size)
        if stored is None:
            raise LedgerError(
                f"There is no signed checkpoint of size {tree_size}.",
                hint="Run `sharewell ledger integrate`, or give the size of a checkpoint.",
            )
        bundle = ledger.inclusion_bundle(session, index, stored, load_signer(load_settings()).vkey)
    typer.echo(json.dumps(bundle, indent=2))


@prove_app.command("consistency")
def prove_consistency(
    size1: int = typer.Argument(..., min=0), size2: int = typer.Argument(..., min=0)
) -> None:
    """A consistency proof between two tree sizes, with both roots."""
    with unit_of_work() as session:
        proof = ledger.consistency_proof(session, size1, size2)
        result = {
            "size1": size1,
            "size2": size2,
            "root1": b64(ledger.tree_root(session, size1)),
            "root2": b64(ledger.tree_root(session, size2)),
            "proof": [b64(h) for h in proof],
        }
    typer.echo(json.dumps(result, indent=2))


@app.command()
def export(
    directory: Path = typer.Argument(..., help="Directory to write the tiled log to."),
) -> None:
    """Export the log in the C2SP tlog-tiles layout, for any static server or verifier."""
    with unit_of_work() as session, progress_bar() as bar:
        task = bar.add_task("Writing tiles", total=None)
        size = publish.export_log(session, directory, progress=lambda n: bar.advance(task, n))
    console.print(f"Exported {size} entries to {directory}.")


@app.command()
def fsck() -> None:
    """Re-derive the whole tree from the stored entries and check every checkpoint."""
    verifier = load_signer(load_settings()).verifier()
    with unit_of_work() as session, progress_bar() as bar:
        task = bar.add_task("Checking entries", total=ledger.sequenced_size(session))
        report = run_fsck(session, verifier, progress=lambda n: bar.advance(task, n))
    console.print(
        f"Checked {report.entries} entries, {report.nodes_checked} tree nodes and "
        f"{report.checkpoints_checked} checkpoints."
    )
    if not report.clean:
        raise LedgerError(
            f"The ledger has {len(report.problems)} problems:\n"
            + "\n".join(f"  - {p}" for p in report.problems[:100]),
            hint="Restore from a backup or an export; do not sign new checkpoints until fixed.",
        )
    console.print("The ledger is consistent.")


@app.command("add-cosignature")
def add_cosignature(
    file: Path = typer.Argument(..., help="A checkpoint cosigned by a witness."),
) -> None:
    """Store a witness's cosignature on one of the log's checkpoints."""
    witnesses = load_witnesses(load_settings())
    with unit_of_work() as session:
        accepted = ledger.add_cosignatures(session, file.read_text(encoding="utf-8"), witnesses)
    console.print(f"Stored cosignatures from {', '.join(accepted)}.")


# --------------------------------------------------------------------------- verify


def _verifier(key: str) -> Verifier:
    return Verifier.from_vkey(key.strip())


@verify_app.command("checkpoint")
def verify_checkpoint(
    file: Path = typer.Argument(..., help="A signed checkpoint note."),
    key: str = typer.Option(..., help="The log's verifier key."),
) -> None:
    """Check a checkpoint's signature."""
    signed = SignedCheckpoint.from_text(file.read_bytes(), [_verifier(key)])
    console.print(
        f"Valid checkpoint of {signed.size} entries signed by {', '.join(signed.verified_by)}."
    )


@verify_app.command("inclusion")
def verify_inclusion(
    bundle_file: Path = typer.Argument(
        ..., help="A proof bundle (`sharewell ledger prove inclusion` or the portal)."
    ),
    key: str = typer.Option(..., help="The log's verifier key."),
) -> None:
    """Check that an entry is in the log: its proof leads to a root the log signed."""
    bundle = json.loads(bundle_file.read_text(encoding="utf-8"))
    signed = SignedCheckpoint.from_text(bundle["checkpoint"], [_verifier(key)])
    entry = base64.b64decode(bundle["entry"])
    proof = [base64.b64decode(h) for h in bundle["proof"]]
    merkle.verify_inclusion(
        bundle["index"], signed.size, merkle.leaf_hash(entry), proof, signed.root_hash
    )
    signers = ", ".join(signed.verified_by)
    console.print(
        f"Entry {bundle['index']} is in the log of {signed.size} entries signed by {signers}."
    )


@verify_app.command("consistency")
def verify_consistency(
    old: Path = typer.Argument(..., help="The older signed checkpoint."),
    new: Path = typer.Argument(..., help="The newer signed checkpoint."),
    proof_file: Path = typer.Argument(..., help="JSON from `sharewell ledger prove consistency`."),
    key: str = typer.Option(..., help="The log's verifier key."),
) -> None:
    """Check that the newer checkpoint's log extends the older one's, never rewriting it."""
    verifier = _verifier(key)
    first = SignedCheckpoint.from_text(old.read_bytes(), [verifier])
    second = SignedCheckpoint.from_text(new.read_bytes(), [verifier])
    proof = [
        base64.b64decode(h) for h in json.loads(proof_file.read_text(encoding="utf-8"))["proof"]
    ]
    if first.size == 0:
        if first.root_hash != merkle.EMPTY_ROOT:
            raise LedgerError("The older checkpoint claims an empty log with a non-empty root.")
    else:
        merkle.verify_consistency(first.size, second.size, proof, first.root_hash, second.root_hash)
    console.print(f"The log of {second.size} entries extends the log of {first.size} entries.")


@verify_app.command("log")
def verify_log(
    location: str = typer.Argument(..., help="A tiled log: a directory or an http(s) URL."),
    key: str = typer.Option(..., help="The log's verifier key."),
) -> None:
    """Audit a whole tiled log: every entry, every tile, against its signed checkpoint."""
    source = open_source(location)
    with progress_bar() as bar:
        task = bar.add_task("Auditing entries", total=None)
        result = audit_log(
            source,
            [_verifier(key)],
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(
        f"The log at {location} is intact: {result.size} entries, root {b64(result.root_hash)}."
    )


@verify_app.command("trail")
def verify_trail(
    location: str = typer.Argument(..., help="A tiled log: a directory or an http(s) URL."),
    key_file: Path = typer.Option(
        ..., "--key", help="Your trail key file (from the citizen portal)."
    ),
    log_key: str | None = typer.Option(None, help="The log's verifier key; checks the log too."),
) -> None:
    """List every entry about you in the whole public log: completeness without trusting us.

    Works across every trail key you have had (the key file holds them all). An entry that
    carries a copy of one of your entries' marks does not open, and is reported.
    """
    trail_keys = read_trail_keys(key_file.read_text(encoding="utf-8"))
    source = open_source(location)
    found: list[tuple[int, OpenedEntry]] = []
    yours: dict[bytes, int] = {}  # commitment -> the entry of yours it opened
    copies: list[tuple[int, int]] = []  # (entry carrying a copied mark, the entry it is from)

    def look(index: int, data: bytes) -> None:
        body = decode_entry(data)  # once: both checks read the same parsed entry
        opened = open_entry(body, trail_keys)
        claimed = commitment_of(body)
        if opened is not None and claimed is not None:
            found.append((index, opened))
            yours[claimed] = index
        elif claimed is not None and claimed in yours:
            # Only copies after the entry they copy are noticed (memory stays flat); a copy
            # anywhere still does not open, so it is never counted as yours.
            copies.append((index, yours[claimed]))

    with progress_bar() as bar:
        task = bar.add_task("Scanning the log", total=None)
        if log_key is not None:
            result = audit_log(
                source,
                [_verifier(log_key)],
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                on_entry=look,
            )
            size = result.size
        else:
            size = _unverified_size(source)
            bar.update(task, total=size)
            for index, data in iter_entries(source, size):
                look(index, data)
                bar.advance(task, 1)
    table = Table("entry", "time", "kind", "organisation", "purpose", "outcome", "fields")
    for index, opened in found:
        facts = opened.facts
        table.add_row(
            str(index),
            opened.time.isoformat(timespec="seconds"),
            opened.kind,
            str(facts.get("organisation") or ""),
            str(facts.get("purpose") or ""),
            str(facts.get("outcome") or facts.get("state") or ""),
            ", ".join(map(str, facts.get("released") or [])),
        )
    console.print(table)
    console.print(f"{len(found)} of {size} entries are about you.")
    for copy, original in copies:
        console.print(
            f"Entry {copy} carries a copy of the mark on your entry {original}: it is not "
            "about you, and someone made it look as if it were. Tell the log's operator and "
            "an auditor."
        )
    if copies:
        raise typer.Exit(1)


def _unverified_size(source: LogSource) -> int:
    """The size the checkpoint claims, when the caller chose not to check its signature."""
    return Checkpoint.from_text(Note.from_text(source.read(CHECKPOINT_PATH)).text).size
