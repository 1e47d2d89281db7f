"""The request's unit of work commits before the response leaves: a browser that follows the
answer's redirect at once must find what the request wrote (the cause of a sign-in that, one
run in ten on PostgreSQL, came back to "Sign in" after the right password)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from starlette.types import Message, Receive, Scope, Send

from factories.citizens import TEST_APP, back_to_app, provider_signs_in
from factories.web import DEMO_RESIDENT
from sharewell import db
from sharewell.web.app import create_app


class Recorder:
    """The app, noting when each response starts."""

    def __init__(self, app: FastAPI, events: list[str]) -> None:
        self.app = app
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.events.append(f"response {message['status']}")
            await send(message)

        await self.app(scope, receive, noting)


@pytest.fixture(scope="module")
def app(demo_app: FastAPI) -> Iterator[FastAPI]:
    """The demo's app on an engine of its own, with no sequencer (its lifespan never runs
    under a plain TestClient): every commit on this engine is a request's."""
    engine = db.make_engine(demo_app.state.engine.url.render_as_string(hide_password=False))
    yield create_app(demo_app.state.settings, engine=engine)
    engine.dispose()


@pytest.fixture
def events(app: FastAPI) -> Iterator[list[str]]:
    noted: list[str] = []

    def on_commit(_connection: object) -> None:
        noted.append("commit")

    engine = app.state.engine
    event.listen(engine, "commit", on_commit)
    yield noted
    event.remove(engine, "commit", on_commit)


def test_a_sign_in_is_committed_before_the_redirect_is_sent(
    app: FastAPI, events: list[str]
) -> None:
    browser = TestClient(Recorder(app, events), base_url=TEST_APP, follow_redirects=False)
    start = browser.get("/sign-in/start", params={"next": "/account"})
    answer = provider_signs_in(
        start.headers["location"], DEMO_RESIDENT["email"], DEMO_RESIDENT["password"]
    )
    events.clear()
    back = browser.get(back_to_app(answer))
    assert back.headers["location"] == "/account"
    assert events == ["commit", "response 303"]
    assert browser.get("/account").status_code == 200


def test_a_view_that_fails_commits_nothing(app: FastAPI, events: list[str]) -> None:
    browser = TestClient(Recorder(app, events), base_url=TEST_APP, follow_redirects=False)
    events.clear()
    refused = browser.get("/sign-in/callback", params={"code": "forged", "state": "forged"})
    assert refused.status_code == 401
    assert "commit" not in events
