"""Nothing with a person's data is kept by a browser or a proxy: every response but static
assets and the log's immutable tiles says ``Cache-Control: no-store`` unless its view says
otherwise."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories.citizens import citizen_client
from factories.web import DEMO_RESIDENT
from sharewell.ledger import tiles


@pytest.fixture(scope="module")
def resident(demo_app: FastAPI) -> TestClient:
    return citizen_client(demo_app, DEMO_RESIDENT["email"], DEMO_RESIDENT["password"])


@pytest.mark.parametrize(
    "path",
    [
        "/account",
        "/your-data",
        "/your-data/choices",
        "/your-data/notifications",
        "/your-data/trail-key",
    ],
)
def test_a_residents_pages_are_never_stored(resident: TestClient, path: str) -> None:
    answer = resident.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"


def test_pages_without_personal_data_are_not_stored_either(client: TestClient) -> None:
    """By default, not by care: a page that later shows someone's data is already safe."""
    for path in ("/", "/register", "/staff/sign-in", "/nowhere"):
        assert client.get(path).headers["cache-control"] == "no-store", path


def test_static_assets_and_the_logs_tiles_may_be_cached(client: TestClient) -> None:
    asset = client.get("/assets/govuk-frontend.min.css")
    assert asset.status_code == 200
    assert "no-store" not in asset.headers.get("cache-control", "")
    checkpoint = client.get("/log/checkpoint")
    assert checkpoint.headers["cache-control"] == "no-cache"
    size = int(checkpoint.text.splitlines()[1])
    tile = client.get(f"/log/{tiles.entries_path(0, size)}")
    assert tile.status_code == 200
    assert "immutable" in tile.headers["cache-control"]
