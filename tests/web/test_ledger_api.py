"""The ledger over HTTP: tiles a tiles client can read, proofs that verify, witnesses, overload."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from factories.web import WITNESS
from sharewell.ledger import merkle, tiles
from sharewell.ledger import services as ledger
from sharewell.ledger.audit import audit_log
from sharewell.ledger.checkpoint import SignedCheckpoint
from sharewell.ledger.errors import LedgerBusy
from sharewell.ledger.keys import load_signer
from sharewell.ledger.note import Note


def b64d(text: str) -> bytes:
    return base64.b64decode(text)


def test_checkpoint_is_a_signed_note(client: TestClient) -> None:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    signed = SignedCheckpoint.from_text(response.text, [_verifier(client)])
    assert signed.size >= 4  # the demo's four activations are on the ledger


def _verifier(client: TestClient):  # type: ignore[no-untyped-def]
    return load_signer(client.app.state.settings).verifier()  # type: ignore[attr-defined]


class ClientSource:
    """Lets the offline auditor read the live server through the test client."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def read(self, path: str) -> bytes:
        response = self.client.get(f"/log/{path}")
        if response.status_code == 404:
            raise FileNotFoundError(path)
        response.raise_for_status()
        return response.content


def test_the_served_log_audits_clean(client: TestClient) -> None:
    result = audit_log(ClientSource(client), [_verifier(client)])
    assert result.size >= 4


def test_tiles_are_immutable_and_bounded_by_the_checkpoint(client: TestClient) -> None:
    size = SignedCheckpoint.from_text(client.get("/log/checkpoint").text, [_verifier(client)]).size
    bundle = client.get(f"/log/{tiles.entries_path(0, size)}")
    assert bundle.status_code == 200
    assert "immutable" in bundle.headers["cache-control"]
    assert len(tiles.parse_entry_bundle(bundle.content, size)) == size
    beyond = client.get(f"/log/{tiles.entries_path(0, size + 1)}")
    assert beyond.status_code == 404
    assert beyond.headers["content-type"] == "application/problem+json"
    assert client.get("/log/tile/0/not-a-tile").status_code == 404


def test_inclusion_proof_json_verifies(client: TestClient) -> None:
    body = client.get("/api/v1/ledger/proofs/inclusion", params={"index": 1}).json()
    signed = SignedCheckpoint.from_text(body["checkpoint"], [_verifier(client)])
    merkle.verify_inclusion(
        body["index"],
        signed.size,
        merkle.leaf_hash(b64d(body["entry"])),
        [b64d(h) for h in body["proof"]],
        signed.root_hash,
    )


def test_consistency_proof_json_verifies(client: TestClient) -> None:
    size = client.get("/api/v1/ledger/checkpoint").json()["size"]
    body = client.get("/api/v1/ledger/proofs/consistency", params={"from": 1, "to": size}).json()
    merkle.verify_consistency(
        1, size, [b64d(h) for h in body["proof"]], b64d(body["root1"]), b64d(body["root2"])
    )


def test_entries_carry_no_personal_data(client: TestClient) -> None:
    body = client.get("/api/v1/ledger/entries/0").json()["body"]
    assert body["kind"] == "agreement"
    assert "@" not in str(body)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/ledger/entries/999999", 404),
        ("/api/v1/ledger/proofs/inclusion?index=0&size=999999", 409),
        ("/api/v1/ledger/proofs/inclusion?index=-1", 422),
        ("/api/v1/ledger/proofs/consistency?from=3&to=1", 409),
    ],
)
def test_bad_requests_are_problem_json(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_a_configured_witness_cosignature_is_stored_and_served(client: TestClient) -> None:
    note = Note.from_text(client.get("/log/checkpoint").text)
    cosigned = note.with_signatures([WITNESS]).to_text()
    response = client.post(
        "/api/v1/ledger/cosignatures", content=cosigned, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": ["witness.example/w1"]}
    served = Note.from_text(client.get("/log/checkpoint").text)
    assert served.signature_line_for(WITNESS.verifier()) is not None


def test_an_unknown_witness_or_a_forged_checkpoint_is_refused(client: TestClient) -> None:
    from sharewell.ledger.note import CosignatureSigner

    stranger = CosignatureSigner.generate("stranger.example/w")
    served = Note.from_text(client.get("/log/checkpoint").text)
    note = Note(served.text, served.signatures[:1])  # the log's own signature only
    response = client.post(
        "/api/v1/ledger/cosignatures",
        content=note.with_signatures([stranger]).to_text(),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 422
    forged = note.text.split("\n")
    forged[2] = base64.b64encode(bytes(32)).decode()
    fake = Note.sign("\n".join(forged), [WITNESS]).to_text()
    response = client.post(
        "/api/v1/ledger/cosignatures", content=fake, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422
    assert "never signed a checkpoint" in response.json()["detail"]


def test_overload_is_503_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def busy(*_: object, **__: object) -> None:
        raise LedgerBusy(retry_after=2)

    monkeypatch.setattr(ledger, "latest_checkpoint", busy)
    response = client.get("/api/v1/ledger/checkpoint")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"


def test_sharewell_verify_audits_the_live_server_over_http(
    live_url: str, client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from sharewell.cli import run

    vkey = load_signer(client.app.state.settings).vkey  # type: ignore[attr-defined]
    assert run(["verify", "log", f"{live_url}/log", "--key", vkey]) == 0
    assert "is intact" in capsys.readouterr().out


TOO_BIG = str(2**63)  # one past the largest number the databases hold


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"/api/v1/ledger/entries/{TOO_BIG}", {}),
        ("/api/v1/ledger/entries/99999999999999999999999", {}),
        ("/api/v1/ledger/proofs/inclusion", {"index": TOO_BIG}),
        ("/api/v1/ledger/proofs/inclusion", {"index": "1", "size": TOO_BIG}),
        ("/api/v1/ledger/proofs/consistency", {"from": TOO_BIG, "to": TOO_BIG}),
        ("/api/v1/ledger/proofs/consistency", {"from": "1", "to": TOO_BIG}),
    ],
)
def test_numbers_too_big_for_the_log_are_refused_not_a_500(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    answer = client.get(path, params=params)
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_entry_index_that_is_not_a_number_is_not_found(client: TestClient) -> None:
    answer = client.get("/api/v1/ledger/entries/first")
    assert answer.status_code == 404
    assert answer.json()["status"] == 404
