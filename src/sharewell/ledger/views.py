"""The log's pages: public ones (the current checkpoint, the public key, how to verify) and the
auditor's (checkpoints over time, consistency between any two, a full verification)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sharewell.accounts.services import StaffIdentity
from sharewell.errors import InvalidInput, NotFound
from sharewell.ledger import history
from sharewell.ledger import services as ledger
from sharewell.ledger.keys import load_signer
from sharewell.ledger.models import LedgerCheckpoint
from sharewell.ledger.note import b64encode as b64
from sharewell.ledger.verification import Verifications, registry, trusted_verifiers
from sharewell.web.access import public
from sharewell.web.deps import BIGINT_MAX, LogIndex, SessionDep
from sharewell.web.sessions import csrf_protected, staff_with_role
from sharewell.web.templating import pagination, render

router = APIRouter(default_response_class=HTMLResponse)
Auditor = Annotated[StaffIdentity, Depends(staff_with_role(["auditor"]))]
Page = Annotated[int, Query(ge=1, le=1_000_000)]

LOG_TITLE = "The transparency log"
HOW_TO_TITLE = "How to check the transparency log"
CHECKPOINTS_TITLE = "Checkpoints over time"
CONSISTENCY_TITLE = "Check two checkpoints are consistent"
VERIFICATIONS_TITLE = "Verify the whole log"
PUBLIC_KEY_FILE = "log-public-key.txt"
REFRESH_SECONDS = 2


def signed_at(value: dt.datetime | None) -> str:
    """When a checkpoint was signed, GOV.UK style, in UTC: 1 April 2026, 3:04:05pm UTC."""
    if value is None:
        return ""
    moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    hour = moment.hour % 12 or 12
    return (
        f"{moment.day} {moment:%B %Y}, {hour}:{moment:%M:%S}{'am' if moment.hour < 12 else 'pm'}"
        " UTC"
    )


def _log_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/log"


def _checkpoint_view(checkpoint: LedgerCheckpoint, witnesses: tuple[str, ...]) -> dict[str, Any]:
    return {
        "size": checkpoint.size,
        "root": b64(checkpoint.root_hash),
        "signed_at": signed_at(checkpoint.created_at),
        "witnesses": witnesses,
    }


# --------------------------------------------------------------------------- public


@router.get("/log", dependencies=[Depends(public)])
def log(request: Request, session: SessionDep) -> Response:
    latest = ledger.latest_checkpoint(session)
    signer = load_signer(request.app.state.settings)
    context: dict[str, Any] = {
        "title": LOG_TITLE,
        "nav": "log",
        "public_key": signer.vkey,
        "origin": signer.name,
        "log_url": _log_url(request),
        "checkpoint": None,
    }
    if latest is not None:
        witnesses = history.witnesses_of(session, [latest.size])[latest.size]
        context["checkpoint"] = _checkpoint_view(latest, witnesses)
        context["note"] = ledger.checkpoint_with_cosignatures(session, latest)
    return render(request, "public/log.html", context)


@router.get("/log/public-key", dependencies=[Depends(public)], response_class=PlainTextResponse)
def public_key(request: Request) -> Response:
    """The log's verifier key (C2SP signed-note), to check every checkpoint it signs."""
    return PlainTextResponse(
        load_signer(request.app.state.settings).vkey + "\n",
        headers={
            "Content-Disposition": f'attachment; filename="{PUBLIC_KEY_FILE}"',
            "Cache-Control": "no-cache",
        },
    )


@router.get("/log/how-to-verify", dependencies=[Depends(public)])
def how_to_verify(request: Request) -> Response:
    return render(
        request,
        "public/log_how_to_verify.html",
        {
            "title": HOW_TO_TITLE,
            "nav": "log",
            "log_url": _log_url(request),
            "site_url": str(request.base_url).rstrip("/"),
        },
    )


# --------------------------------------------------------------------------- checkpoints


@router.get("/staff/checkpoints")
def checkpoints(request: Request, session: SessionDep, staff: Auditor, page: Page = 1) -> Response:
    found = history.checkpoint_page(session, page)
    if page > found.pages:
        raise NotFound(
            f"There is no page {page}: there are {found.pages}.",
            hint="Go back to the first page of checkpoints.",
        )
    return render(
        request,
        "staff/auditor/checkpoints.html",
        {
            "title": CHECKPOINTS_TITLE,
            "staff": staff,
            "found": found,
            "latest_size": _latest_size(session),
            "rows": [_checkpoint_view(r.checkpoint, r.witnesses) for r in found.rows],
            "pagination": pagination(found, "/staff/checkpoints"),
        },
    )


def _latest_size(session: Session) -> int | None:
    sizes = history.recent_sizes(session, 1)
    return sizes[0] if sizes else None


def _checkpoint_file_name(size: int) -> str:
    return f"checkpoint-{size}.txt"


def _proof_file_name(older: int, newer: int) -> str:
    return f"consistency-{older}-{newer}.json"


@router.get("/staff/checkpoints/{size:int}/checkpoint.txt", response_class=PlainTextResponse)
def checkpoint_file(session: SessionDep, staff: Auditor, size: LogIndex) -> Response:
    """One signed checkpoint, with its witnesses' cosignatures, for `sharewell verify`."""
    stored = ledger.checkpoint_at(session, size)
    if stored is None:
        raise NotFound(f"The log has no signed checkpoint of size {size}.")
    return PlainTextResponse(
        ledger.checkpoint_with_cosignatures(session, stored),
        headers={"Content-Disposition": f'attachment; filename="{_checkpoint_file_name(size)}"'},
    )


def _consistency_errors(
    session: Session, older: str, newer: str
) -> tuple[dict[str, str], dict[str, LedgerCheckpoint]]:
    """Field errors for the two sizes, and the checkpoints they name when there are none."""
    errors: dict[str, str] = {}
    found: dict[str, LedgerCheckpoint] = {}
    for field, value, which in (("older", older, "older"), ("newer", newer, "newer")):
        if not value:
            errors[field] = f"Enter the size of the {which} checkpoint"
        elif not value.isascii() or not value.isdigit():
            errors[field] = f"The size of the {which} checkpoint must be a whole number, like 120"
        else:
            size = int(value)
            stored = ledger.checkpoint_at(session, size) if size <= BIGINT_MAX else None
            if stored is None:
                errors[field] = (
                    f"The log has no signed checkpoint of size {size}: "
                    "choose a size from the list of checkpoints"
                )
            else:
                found[field] = stored
    if not errors and found["older"].size > found["newer"].size:
        errors["older"] = "The older checkpoint must be no larger than the newer one"
    return errors, found


@router.get("/staff/checkpoints/consistency")
def consistency(
    request: Request,
    session: SessionDep,
    staff: Auditor,
    older: str | None = None,
    newer: str | None = None,
) -> Response:
    context: dict[str, Any] = {
        "title": CONSISTENCY_TITLE,
        "staff": staff,
        "errors": {},
        "result": None,
        "recent": [
            _checkpoint_view(r.checkpoint, r.witnesses)
            for r in history.checkpoint_page(session, 1, per_page=10).rows
        ],
    }
    if older is None and newer is None:
        recent = history.recent_sizes(session, 2)
        context["values"] = {
            "older": str(recent[-1]) if recent else "",
            "newer": str(recent[0]) if recent else "",
        }
        return render(request, "staff/auditor/consistency.html", context)
    values = {"older": (older or "").strip(), "newer": (newer or "").strip()}
    context["values"] = values
    errors, found = _consistency_errors(session, values["older"], values["newer"])
    if errors:
        context.update(errors=errors, has_errors=True)
        return render(request, "staff/auditor/consistency.html", context, status_code=422)
    verifier, retired = trusted_verifiers(request.app.state.settings)
    checked = history.check_consistency(
        session, found["older"], found["newer"], [verifier, *retired]
    )
    context["result"] = {
        "consistent": checked.consistent,
        "failure": checked.failure,
        "older": _checkpoint_view(checked.older, ()),
        "newer": _checkpoint_view(checked.newer, ()),
        "proof": [b64(h) for h in checked.proof],
        "older_file": _checkpoint_file_name(checked.older.size),
        "newer_file": _checkpoint_file_name(checked.newer.size),
        "proof_file": _proof_file_name(checked.older.size, checked.newer.size),
        "public_key_file": PUBLIC_KEY_FILE,
    }
    return render(request, "staff/auditor/consistency.html", context)


@router.get("/staff/checkpoints/consistency/proof.json")
def consistency_proof_file(
    session: SessionDep, staff: Auditor, older: str = "", newer: str = ""
) -> Response:
    """The proof as `sharewell ledger prove consistency` prints it, for `sharewell verify`."""
    errors, found = _consistency_errors(session, older.strip(), newer.strip())
    if errors:
        raise InvalidInput("Those are not two checkpoints of the log.", problems=[*errors.values()])
    first, second = found["older"], found["newer"]
    body = {
        "size1": first.size,
        "size2": second.size,
        "root1": b64(first.root_hash),
        "root2": b64(second.root_hash),
        "proof": [b64(h) for h in ledger.consistency_proof(session, first.size, second.size)],
    }
    return Response(
        json.dumps(body, indent=2) + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{_proof_file_name(first.size, second.size)}"'
            )
        },
    )


# --------------------------------------------------------------------------- verifications


def _verifications(request: Request) -> Verifications:
    state = request.app.state
    return registry(state, state.settings, state.sessions)


@router.get("/staff/verifications")
def verifications(request: Request, staff: Auditor) -> Response:
    jobs = _verifications(request).all()
    return render(
        request,
        "staff/auditor/verifications.html",
        {
            "title": VERIFICATIONS_TITLE,
            "staff": staff,
            "jobs": jobs,
            "running": next((j for j in jobs if j.running), None),
            "signed_at": signed_at,
        },
    )


@router.post("/staff/verifications", dependencies=[Depends(csrf_protected)])
def start_verification(request: Request, session: SessionDep, staff: Auditor) -> Response:
    job = _verifications(request).start(
        f"{staff.name} ({staff.email})", total=ledger.sequenced_size(session)
    )
    return RedirectResponse(f"/staff/verifications/{job.id}", status_code=303)


@router.get("/staff/verifications/{job_id}")
def verification(
    request: Request, staff: Auditor, job_id: str, updates: str | None = None
) -> Response:
    """A verification's progress, updating itself (no JavaScript needed) until it is done,
    unless the auditor turned that off; then its result."""
    job = _verifications(request).get(job_id)
    updating = job.running and updates != "off"
    return render(
        request,
        "staff/auditor/verification.html",
        {
            "title": "Verifying the log" if job.running else _outcome_title(job.state),
            "staff": staff,
            "job": job,
            "root": b64(job.root_hash) if job.root_hash is not None else None,
            "refresh": REFRESH_SECONDS if updating else None,
            "signed_at": signed_at,
        },
    )


def _outcome_title(state: str) -> str:
    return {
        "intact": "The log is intact",
        "failed": "The log failed verification",
    }.get(state, "The verification could not finish")
