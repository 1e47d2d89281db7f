"""The log's public pages and the auditor's: checkpoints over time, consistency between any two
(with files `sharewell verify consistency` accepts), and a full verification in the background
that finds a tampered entry or tree node. And every way in that should be refused: other roles,
no session, no CSRF token, bad input."""

from __future__ import annotations

import base64
import json
import re
import shlex
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, update
from typer.testing import CliRunner

from factories import leaves
from factories.broker import ada_consents
from factories.browser import check_page_in_browser, staff_signs_in
from factories.databases import fresh_database, migrated_engine
from factories.serving import served
from factories.staff import PASSWORD, browser, csrf, enrol_all_staff, sign_in
from sharewell import db
from sharewell.accounts import staff as staff_accounts
from sharewell.cli import app as sharewell_cli
from sharewell.config import Settings
from sharewell.ledger import history, merkle
from sharewell.ledger import services as ledger
from sharewell.ledger.keys import ensure_signing_key, witnesses_path
from sharewell.ledger.models import LedgerEntry, LedgerNode
from sharewell.ledger.note import CosignatureSigner, Note, Signer, Verifier
from sharewell.ledger.verification import Verifications, registry
from sharewell.web.app import create_app
from web.pages import check_page

AUDITOR = "auditor@northbridge.example"
OFFICER = "officer@northbridge.example"
DPO = "dpo@northbridge.example"
ADMIN = "admin@northbridge.example"
# One member of staff per browser run: a security code works once.
BROWSER_AUDITORS = {
    "js": "auditor.js@northbridge.example",
    "no-js": "auditor.nojs@northbridge.example",
}
WITNESS = CosignatureSigner.generate("witness.example/auditor-tests")
AUDITOR_PAGES = [
    "/staff/checkpoints",
    "/staff/checkpoints/consistency",
    "/staff/verifications",
]


@dataclass(frozen=True)
class World:
    app: FastAPI
    engine: Engine
    signer: Signer
    sizes: tuple[int, ...]  # the signed checkpoints, oldest first

    def verifications(self) -> Verifications:
        state = self.app.state
        return registry(state, state.settings, state.sessions)


def _append(engine: Engine, count: int, organisation: str = "northbridge") -> None:
    with db.transaction(engine) as session:
        ledger.append(session, [leaves.decision(organisation=organisation) for _ in range(count)])


def _integrate(engine: Engine, signer: Signer) -> int:
    with db.transaction(engine) as session:
        checkpoint = ledger.integrate(session, signer)
        assert checkpoint is not None
        return checkpoint.size


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo register, auditors for the browser, and three signed checkpoints with entries
    between them (the middle one cosigned by a witness)."""
    home = tmp_path_factory.mktemp("auditor")
    with fresh_database(home) as url:
        engine = migrated_engine(url)
        with db.transaction(engine) as session:
            ada_consents(session, home)
            for email in BROWSER_AUDITORS.values():
                staff_accounts.add(
                    session, "northbridge", email=email, name="Browser Auditor", role="auditor"
                )
            enrol_all_staff(session)
        settings = Settings(home=home, database_url=url)
        signer, _ = ensure_signing_key(settings)
        witnesses_path(settings).write_text(WITNESS.vkey + "\n", encoding="utf-8")
        sizes = [_integrate(engine, signer)]
        _append(engine, 5)
        sizes.append(_integrate(engine, signer))
        with db.transaction(engine) as session:
            stored = ledger.checkpoint_at(session, sizes[-1])
            assert stored is not None
            cosigned = Note.from_text(stored.note).with_signatures([WITNESS]).to_text()
            ledger.add_cosignatures(session, cosigned, [WITNESS.verifier()])
        _append(engine, 7)
        sizes.append(_integrate(engine, signer))
        yield World(create_app(settings, engine=engine), engine, signer, tuple(sizes))
        engine.dispose()


@pytest.fixture(scope="module")
def auditor(world: World) -> TestClient:
    return sign_in(world.app, world.engine, AUDITOR)


def page(client: TestClient, path: str, status: int = 200, *, has_errors: bool = False) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text
    check_page(response.text, has_errors=has_errors)
    return response.text


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def root_of(world: World, size: int) -> str:
    with db.transaction(world.engine) as session:
        stored = ledger.checkpoint_at(session, size)
        assert stored is not None
        return b64(stored.root_hash)


# --------------------------------------------------------------------------- public pages


def test_the_log_page_shows_the_latest_checkpoint_and_the_key_to_check_it(world) -> None:  # type: ignore[no-untyped-def]
    anonymous = browser(world.app)
    html = page(anonymous, "/log")
    latest = world.sizes[-1]
    assert re.search(rf'id="checkpoint-size">{latest}<', html)
    assert root_of(world, latest) in html
    assert world.signer.vkey in html
    note = anonymous.get("/log/checkpoint").text
    assert (
        unescape(re.search(r'id="checkpoint-note"><code>(.*?)</code>', html, re.S).group(1)) == note
    )  # type: ignore[union-attr]
    assert "None yet" in html  # the latest checkpoint has no witness
    for link in (
        'href="/log/checkpoint"',
        'href="/log/public-key"',
        'href="/log/how-to-verify"',
        'href="/api/v1/ledger/checkpoint"',
        'href="/api/v1/ledger/checkpoints"',
    ):
        assert link in html
    assert "https://sharewell.test/log<" in html  # the tiles' base URL


def test_the_public_key_downloads_as_text(world) -> None:  # type: ignore[no-untyped-def]
    response = browser(world.app).get("/log/public-key")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'filename="log-public-key.txt"' in response.headers["content-disposition"]
    assert response.text == world.signer.vkey + "\n"
    assert Verifier.from_vkey(response.text.strip()).key_id == world.signer.key_id


def commands(html: str) -> list[str]:
    """Every `sharewell …` command line in the page's code blocks, as a shell would see it."""
    found = []
    for block in re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", html, re.S):
        for line in unescape(block).splitlines():
            if line.startswith("sharewell "):
                found.append(line)
    return found


def test_how_to_verify_shows_commands_the_sharewell_tool_accepts(world) -> None:  # type: ignore[no-untyped-def]
    html = page(browser(world.app), "/log/how-to-verify")
    for heading in (
        "Check one record is in the log",
        "Check nothing about you is missing",
        "Check the whole log",
    ):
        assert heading in html
    shown = commands(html)
    kinds = {shlex.split(line)[2] for line in shown}
    assert kinds == {"inclusion", "trail", "log", "checkpoint", "consistency"}
    runner = CliRunner()
    for line in shown:
        words = shlex.split(line)
        help_text = runner.invoke(sharewell_cli, [*words[1:3], "--help"], env={"COLUMNS": "200"})
        assert help_text.exit_code == 0, line
        for word in words[3:]:
            if word.startswith("--"):
                assert word in help_text.output, (line, word)
    assert (
        'sharewell verify log https://sharewell.test/log --key "$(cat log-public-key.txt)"' in shown
    )
    assert "./tlog-verify -vkey" in html
    assert (
        "GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlog-verify ./tools/tlog-verify"
        in html
    )


# --------------------------------------------------------------------------- checkpoints


def test_an_auditor_sees_every_checkpoint_newest_first(world, auditor) -> None:  # type: ignore[no-untyped-def]
    html = page(auditor, "/staff/checkpoints")
    rows = re.findall(r'id="checkpoint-(\d+)"', html)
    assert [int(r) for r in rows] == sorted(world.sizes, reverse=True)
    for size in world.sizes:
        assert root_of(world, size) in html
    assert WITNESS.name in html
    older, latest = world.sizes[0], world.sizes[-1]
    assert f'href="/staff/checkpoints/consistency?older={older}&amp;newer={latest}"' in html
    assert f'href="/staff/checkpoints/{older}/checkpoint.txt"' in html


def test_checkpoints_are_paginated(world, auditor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(history, "PER_PAGE", 2)
    first = page(auditor, "/staff/checkpoints")
    assert "Showing 1 to 2 of 3 checkpoints" in first
    assert 'href="/staff/checkpoints?page=2"' in first
    second = page(auditor, "/staff/checkpoints?page=2")
    assert "Showing 3 to 3 of 3 checkpoints" in second
    assert root_of(world, world.sizes[0]) in second
    assert root_of(world, world.sizes[-1]) not in second
    page(auditor, "/staff/checkpoints?page=3", 404)
    assert auditor.get("/staff/checkpoints?page=0").status_code == 422
    assert auditor.get("/staff/checkpoints?page=many").status_code == 422


def test_a_checkpoint_downloads_with_its_cosignatures(world, auditor) -> None:  # type: ignore[no-untyped-def]
    middle = world.sizes[1]
    response = auditor.get(f"/staff/checkpoints/{middle}/checkpoint.txt")
    assert response.status_code == 200
    assert f'filename="checkpoint-{middle}.txt"' in response.headers["content-disposition"]
    names = [s.name for s in Note.from_text(response.text).signatures]
    assert names == [world.signer.name, WITNESS.name]
    assert auditor.get("/staff/checkpoints/999999/checkpoint.txt").status_code == 404
    # Too big for the database, or not a number: the GOV.UK page not found, not a 500.
    for size in (str(2**63), "latest"):
        missing = auditor.get(f"/staff/checkpoints/{size}/checkpoint.txt")
        assert missing.status_code == 404
        check_page(missing.text)
        assert "Page not found" in missing.text


# --------------------------------------------------------------------------- consistency


def test_the_consistency_form_starts_with_the_two_latest_checkpoints(world, auditor) -> None:  # type: ignore[no-untyped-def]
    html = page(auditor, "/staff/checkpoints/consistency")
    assert f'value="{world.sizes[-2]}"' in html
    assert f'value="{world.sizes[-1]}"' in html
    assert 'method="get"' in html
    assert 'id="result"' not in html


def test_two_checkpoints_are_proved_consistent_and_the_files_verify_offline(
    world, auditor, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    older, newer = world.sizes[0], world.sizes[-1]
    html = page(auditor, f"/staff/checkpoints/consistency?older={older}&newer={newer}")
    assert "Consistent" in html
    assert f"extends the log of {older} entries" in html
    with db.transaction(world.engine) as session:
        expected = [b64(h) for h in ledger.consistency_proof(session, older, newer)]
    assert expected
    shown = re.findall(r'<li><code class="app-code">([^<]+)</code></li>', html)
    assert shown == expected

    files = {
        f"checkpoint-{older}.txt": f"/staff/checkpoints/{older}/checkpoint.txt",
        f"checkpoint-{newer}.txt": f"/staff/checkpoints/{newer}/checkpoint.txt",
        f"consistency-{older}-{newer}.json": (
            f"/staff/checkpoints/consistency/proof.json?older={older}&newer={newer}"
        ),
        "log-public-key.txt": "/log/public-key",
    }
    for name, path in files.items():
        assert f'href="{path.replace("&", "&amp;")}"' in html, path
        response = auditor.get(path)
        assert response.status_code == 200, path
        (tmp_path / name).write_bytes(response.content)
    assert (
        json.loads((tmp_path / f"consistency-{older}-{newer}.json").read_text())["proof"]
        == expected
    )

    command = re.search(r"<code>(sharewell verify consistency [^<]+)</code>", html).group(1)  # type: ignore[union-attr]
    words = shlex.split(unescape(command).replace('"$(cat log-public-key.txt)"', "KEY"))
    key = (tmp_path / "log-public-key.txt").read_text().strip()
    args = [key if w == "KEY" else w for w in words[1:]]
    monkeypatch.chdir(tmp_path)  # the command names the files as the page downloads them
    result = CliRunner().invoke(sharewell_cli, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"extends the log of {older} entries" in " ".join(result.output.split())


def test_a_checkpoint_is_consistent_with_itself(world, auditor) -> None:  # type: ignore[no-untyped-def]
    size = world.sizes[1]
    html = page(auditor, f"/staff/checkpoints/consistency?older={size}&newer={size}")
    assert "Consistent" in html
    assert "No hashes are needed" in html


@pytest.mark.parametrize(
    ("older", "newer", "anchors", "message"),
    [
        ("", "", ("#older", "#newer"), "Enter the size of the older checkpoint"),
        ("ten", "20", ("#older",), "must be a whole number"),
        ("-1", "20", ("#older",), "must be a whole number"),
        ("1.5", "²", ("#older", "#newer"), "must be a whole number"),
        ("999999", "LATEST", ("#older",), "no signed checkpoint of size 999999"),
        (str(2**63), "LATEST", ("#older",), f"no signed checkpoint of size {2**63}"),
        ("OLDEST", "1", ("#newer",), "no signed checkpoint of size 1"),
        ("LATEST", "OLDEST", ("#older",), "no larger than the newer one"),
    ],
)
def test_bad_sizes_show_the_form_again_with_what_is_wrong(  # type: ignore[no-untyped-def]
    world, auditor, older, newer, anchors, message
) -> None:
    def size(value: str) -> str:
        return {"OLDEST": str(world.sizes[0]), "LATEST": str(world.sizes[-1])}.get(value, value)

    response = auditor.get(
        "/staff/checkpoints/consistency", params={"older": size(older), "newer": size(newer)}
    )
    assert response.status_code == 422
    check_page(response.text, has_errors=True)
    assert "There is a problem" in response.text
    for anchor in anchors:
        assert f'href="{anchor}"' in response.text
    assert message in response.text
    assert 'id="result"' not in response.text
    proof = auditor.get(
        "/staff/checkpoints/consistency/proof.json",
        params={"older": size(older), "newer": size(newer)},
    )
    assert proof.status_code == 422
    assert proof.headers["content-type"] == "application/problem+json"


# --------------------------------------------------------------------------- verification


class Held:
    """Trust the log's key only once released: a verification waits there, still running."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.release = threading.Event()

    def __call__(self) -> tuple[Verifier, Sequence[Verifier]]:
        assert self.release.wait(30)
        return self.world.signer.verifier(), []


@pytest.fixture
def held(world: World) -> Iterator[Held]:
    """The app's verifications replaced by ones that wait to be released (restored after)."""
    state = world.app.state
    before = getattr(state, "verifications", None)
    hold = Held(world)
    state.verifications = Verifications(state.sessions, hold)
    yield hold
    hold.release.set()
    for job in state.verifications.all():
        state.verifications.wait(job.id, 30)
    if before is None:
        del state.verifications
    else:
        state.verifications = before


def start(client: TestClient) -> str:
    form = page(client, "/staff/verifications")
    response = client.post("/staff/verifications", data={"csrf_token": csrf(form)})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/staff/verifications/")
    return location


def test_a_running_verification_shows_its_progress_and_refreshes_itself(
    world, auditor, held
) -> None:  # type: ignore[no-untyped-def]
    location = start(auditor)
    running = page(auditor, location)
    # Reloads itself without JavaScript; with it, the script updates the page in place.
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in running
    assert '<script type="module" src="/static/verification.js"></script>' in running
    assert "<progress" in running
    with db.transaction(world.engine) as session:
        total = ledger.sequenced_size(session)
    assert f'max="{total}" value="0"' in running
    assert f"0 of {total} entries checked (0%)" in running
    assert "Stop updating this page" in running
    still = page(auditor, f"{location}?updates=off")
    assert "http-equiv" not in still
    assert "verification.js" not in still
    assert "0 of" in still

    # One at a time: asking again shows the running one.
    assert start(auditor) == location
    listing = page(auditor, "/staff/verifications")
    assert "already running" in listing
    assert 'action="/staff/verifications"' not in listing

    held.release.set()
    job = world.app.state.verifications.wait(location.rsplit("/", 1)[1], 30)
    assert job.state == "intact"
    done = page(auditor, location)
    assert "http-equiv" not in done
    assert "The log is intact" in done


def test_a_full_verification_of_an_intact_log(world, auditor) -> None:  # type: ignore[no-untyped-def]
    location = start(auditor)
    job = world.verifications().wait(location.rsplit("/", 1)[1], 60)
    assert job.state == "intact", job.problems
    html = page(auditor, location)
    assert "The log is intact" in html
    latest = world.sizes[-1]
    assert re.search(rf'id="entries">{latest} of {latest}<', html)
    assert f'id="root">{root_of(world, latest)}<' in html
    assert job.signatures_checked == len(world.sizes)
    assert job.checkpoints_checked == len(world.sizes)
    listing = page(auditor, "/staff/verifications")
    assert location in listing
    assert "Intact" in listing
    page(auditor, "/staff/verifications/no-such-verification", 404)


@pytest.fixture
def tampered(world: World) -> Iterator[tuple[int, str]]:
    """One stored entry, and one stored hash that the consistency proof between the oldest and
    the latest checkpoint uses, changed behind the log's back (and put back after)."""
    index = world.sizes[0] + 2
    level, k = merkle.consistency_plan(world.sizes[0], world.sizes[-1])[0][0]
    with db.transaction(world.engine) as session:
        entry = session.get(LedgerEntry, index)
        assert entry is not None
        original_data = entry.data
        entry.data = original_data.replace(b'"free-school-meals"', b'"benefit-take-up"')
        if level == 0:
            stored = session.get(LedgerEntry, k)
            assert stored is not None
            original_hash = stored.leaf_hash
            stored.leaf_hash = bytes(32)
            problem = f"entry {k} does not hash to its stored leaf hash"
        else:
            node = session.get(LedgerNode, (level, k))
            assert node is not None
            original_hash = node.hash
            node.hash = bytes(32)
            problem = f"tree node {(level, k)} does not match the entries below it"
    try:
        yield index, problem
    finally:
        with db.transaction(world.engine) as session:
            session.execute(
                update(LedgerEntry).where(LedgerEntry.index == index).values(data=original_data)
            )
            if level == 0:
                session.execute(
                    update(LedgerEntry)
                    .where(LedgerEntry.index == k)
                    .values(leaf_hash=original_hash)
                )
            else:
                session.execute(
                    update(LedgerNode)
                    .where(LedgerNode.level == level, LedgerNode.k == k)
                    .values(hash=original_hash)
                )


def test_a_tampered_log_fails_verification_saying_what_failed(world, auditor, tampered) -> None:  # type: ignore[no-untyped-def]
    index, problem = tampered
    location = start(auditor)
    job = world.verifications().wait(location.rsplit("/", 1)[1], 60)
    assert job.state == "failed"
    html = page(auditor, location)
    assert "The log failed verification" in html
    assert f"entry {index} does not hash to its stored leaf hash" in html
    assert problem in html
    # Consistency proved from the damaged tree does not check out against the signed roots.
    older, newer = world.sizes[0], world.sizes[-1]
    checked = page(auditor, f"/staff/checkpoints/consistency?older={older}&newer={newer}")
    assert "Not consistent" in checked
    assert "does not reproduce the root" in checked or "does not lead to the root" in checked


def test_a_forged_checkpoint_signature_fails_verification(world, auditor) -> None:  # type: ignore[no-untyped-def]
    size = world.sizes[1]
    with db.transaction(world.engine) as session:
        stored = ledger.checkpoint_at(session, size)
        assert stored is not None
        original = stored.note
        forger = Signer.generate(world.signer.name)
        note = Note.from_text(original)
        stored.note = Note(note.text, ()).with_signatures([forger]).to_text()
    try:
        location = start(auditor)
        job = world.verifications().wait(location.rsplit("/", 1)[1], 60)
        assert job.state == "failed"
        assert any(f"the checkpoint at size {size}" in p for p in job.problems), job.problems
        checked = page(
            auditor, f"/staff/checkpoints/consistency?older={size}&newer={world.sizes[-1]}"
        )
        assert "Not consistent" in checked
        assert f"The checkpoint at size {size}" in checked
    finally:
        with db.transaction(world.engine) as session:
            stored = ledger.checkpoint_at(session, size)
            assert stored is not None
            stored.note = original


# --------------------------------------------------------------------------- refusals


def test_other_roles_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    jobs = len(world.verifications().all())
    older, newer = world.sizes[0], world.sizes[-1]
    paths = [
        *AUDITOR_PAGES,
        f"/staff/checkpoints/consistency?older={older}&newer={newer}",
        f"/staff/checkpoints/{older}/checkpoint.txt",
        f"/staff/checkpoints/consistency/proof.json?older={older}&newer={newer}",
        "/staff/verifications/anything",
    ]
    for email in (OFFICER, DPO, ADMIN):
        other = sign_in(world.app, world.engine, email)
        token = csrf(other.get("/staff").text)
        for path in paths:
            response = other.get(path)
            assert response.status_code == 403, (email, path)
            if ".json" not in path and ".txt" not in path:
                check_page(response.text)
        assert other.post("/staff/verifications", data={"csrf_token": token}).status_code == 403
    assert len(world.verifications().all()) == jobs


def test_the_auditor_pages_need_a_signed_in_session(world) -> None:  # type: ignore[no-untyped-def]
    anonymous = browser(world.app)
    for path in [*AUDITOR_PAGES, "/staff/verifications/anything"]:
        response = anonymous.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/staff/sign-in"
    token = csrf(anonymous.get("/staff/sign-in").text)
    response = anonymous.post("/staff/verifications", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in"


def test_starting_a_verification_needs_this_browsers_csrf_token(world, auditor) -> None:  # type: ignore[no-untyped-def]
    jobs = len(world.verifications().all())
    borrowed = csrf(browser(world.app).get("/staff/sign-in").text)  # real, another browser's
    for data in ({}, {"csrf_token": "forged-token-value"}, {"csrf_token": borrowed}):
        response = auditor.post("/staff/verifications", data=data)
        assert response.status_code == 403, data
        check_page(response.text)
    assert len(world.verifications().all()) == jobs


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def live_auditor_url(world: World) -> Iterator[str]:
    with served(world.app) as url:
        yield url


def test_the_served_log_verifies_with_the_commands_the_page_shows(world, live_auditor_url) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    key = world.signer.vkey
    result = runner.invoke(
        sharewell_cli, ["verify", "log", f"{live_auditor_url}/log", "--key", key]
    )
    assert result.exit_code == 0, result.output
    assert "is intact" in result.output


def test_a_record_and_a_checkpoint_verify_with_the_commands_the_page_shows(
    world, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    anonymous = browser(world.app)
    (tmp_path / "bundle.json").write_bytes(
        anonymous.get("/api/v1/ledger/proofs/inclusion", params={"index": 3}).content
    )
    (tmp_path / "old-checkpoint.txt").write_bytes(anonymous.get("/log/checkpoint").content)
    key = anonymous.get("/log/public-key").text.strip()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for args, said in (
        (["verify", "inclusion", "bundle.json", "--key", key], "Entry 3 is in the log"),
        (["verify", "checkpoint", "old-checkpoint.txt", "--key", key], "Valid checkpoint"),
    ):
        result = runner.invoke(sharewell_cli, args, env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        assert said in result.output


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_auditor_verifies_the_log_in_a_real_browser(
    browser: Browser, live_auditor_url: str, world: World, held: Held, javascript: bool
) -> None:
    run = "js" if javascript else "no-js"
    # bypass_csp lets axe be injected; the pages themselves run under the real CSP elsewhere.
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    base = live_auditor_url

    page.goto(base + "/log")
    assert page.locator("h1").inner_text() == "The transparency log"
    check_page_in_browser(page, "log", javascript)
    page.get_by_role("link", name="Find out how to check the log yourself").click()
    assert page.locator("h1").inner_text() == "How to check the transparency log"
    check_page_in_browser(page, "log-how-to-verify", javascript)

    staff_signs_in(page, base, world.engine, BROWSER_AUDITORS[run], PASSWORD)
    page.get_by_role("link", name="Checkpoints").first.click()
    assert page.locator("h1").inner_text() == "Checkpoints over time"
    check_page_in_browser(page, "auditor-checkpoints", javascript)

    older, newer = world.sizes[0], world.sizes[-1]
    page.get_by_role(
        "link", name=f"Check against the latest (from {older} to {newer} entries)"
    ).click()
    assert page.locator("h1").inner_text() == "Check two checkpoints are consistent"
    expect(page.locator("#result")).to_contain_text("Consistent")
    check_page_in_browser(page, "auditor-consistency", javascript)

    page.get_by_label("Older checkpoint size").fill("not a size")
    page.get_by_role("button", name="Check consistency").click()
    assert page.title().startswith("Error: ")
    check_page_in_browser(page, "auditor-consistency-errors", javascript)
    page.get_by_label("Older checkpoint size").fill(str(world.sizes[1]))
    page.get_by_label("Newer checkpoint size").fill(str(newer))
    page.get_by_role("button", name="Check consistency").click()
    expect(page.locator("#result")).to_contain_text("Consistent")
    with page.expect_download() as download:
        page.get_by_role(
            "link", name=f"Consistency proof (consistency-{world.sizes[1]}-{newer}.json)"
        ).click()
    assert json.loads(Path(download.value.path()).read_text())["size2"] == newer

    page.goto(base + "/staff/verifications")
    check_page_in_browser(page, "auditor-verifications", javascript)
    page.get_by_role("button", name="Verify the whole log").click()
    assert page.locator("h1").inner_text() == "Verifying the log"  # held until released
    expect(page.locator("#status")).to_contain_text(f"0 of {newer} entries checked (0%)")
    check_page_in_browser(page, "auditor-verification-running", javascript)
    reloads: list[str] = []
    page.on("framenavigated", lambda frame: reloads.append(frame.url))
    held.release.set()
    # Without JavaScript the page's meta refresh reloads it until the verification is done;
    # with it, verification.js updates it in place.
    expect(page.locator("h1")).to_have_text("The log is intact", timeout=30_000)
    expect(page).to_have_title(re.compile("^The log is intact"))
    expect(page.locator("#updates")).to_have_count(0)
    assert bool(reloads) is not javascript  # reloaded without JavaScript, updated in place with
    expect(page.locator("#entries")).to_contain_text(f"{newer} of {newer}")
    check_page_in_browser(page, "auditor-verification", javascript)

    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "You have signed out"
    assert errors == []
    context.close()
