"""Error pages offer the way back that fits where the person was, and an address that names
nothing is the GOV.UK "Page not found"."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories.citizens import citizen_client
from factories.web import DEMO_RESIDENT
from web.pages import check_page


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/staff/no-such-page", ('href="/staff"', "Go to the staff pages")),
        ("/register/agreements/no-such-agreement", ('href="/register"', "Go to the register")),
        ("/no-such-page", ('href="/"', "Go to the Sharewell home page")),
    ],
)
def test_a_missing_page_offers_the_way_back_that_fits(
    client: TestClient, path: str, back: tuple[str, str]
) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    check_page(answer.text)
    assert "Page not found" in answer.text
    for said in back:
        assert said in answer.text


def test_a_resident_is_sent_back_to_their_data(demo_app: FastAPI) -> None:
    resident = citizen_client(demo_app, DEMO_RESIDENT["email"], DEMO_RESIDENT["password"])
    for path in ("/your-data/entries/not-a-number", "/your-data/entries/999999999"):
        answer = resident.get(path)
        assert answer.status_code == 404
        check_page(answer.text)
        assert 'href="/your-data"' in answer.text
        assert "Go to your data" in answer.text
        assert "register of agreements" not in answer.text
