"""The senders: GOV.UK Notify's API spoken to a fake Notify on a real local socket (the JWT,
the path and the body checked as Notify checks them), the outbox-only default, and the
configuration that picks one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sharewell.notifications.errors import DeliveryFailed, NotifyNotConfigured
from sharewell.notifications.senders import (
    NotifySender,
    OutboxOnlySender,
    sender_from_environment,
)

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"sharewell_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
NOTIFICATION_ID = "740e5834-3a29-46b4-9a6f-16142fde533a"
PERSONALISATION = {
    "organisation": "Northbridge Schools Trust",
    "purpose": "Free school meals and other education benefits",
    "outcome": "the information was shared",
    "when": "1 December 2026 at 10:30",
    "ledger_index": "42",
}


@dataclass
class FakeNotify:
    """What the fake received, and what it answers next."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 201
    reply: dict[str, Any] = field(default_factory=lambda: {"id": NOTIFICATION_ID})


def _unpadded(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    fake: FakeNotify

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization", ""),
                    "content_type": self.headers.get("Content-Type", ""),
                    "body": json.loads(body),
                }
            )
            answer = json.dumps(fake.reply).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeNotify(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_notify_sender_posts_the_email_with_a_jwt_notify_accepts(notify: FakeNotify) -> None:
    sender = NotifySender(API_KEY, {"data_used": TEMPLATE_ID}, base_url=notify.url)

    reference = sender.send_email("reader.one@example.net", "data_used", PERSONALISATION)

    assert reference == NOTIFICATION_ID
    (sent,) = notify.requests
    assert sent["path"] == "/v2/notifications/email"
    assert sent["content_type"] == "application/json"
    assert sent["body"] == {
        "email_address": "reader.one@example.net",
        "template_id": TEMPLATE_ID,
        "personalisation": PERSONALISATION,
    }
    scheme, token = sent["authorization"].split(" ", 1)
    assert scheme == "Bearer"
    header, claims, signature = token.split(".")
    assert json.loads(_unpadded(header)) == {"typ": "JWT", "alg": "HS256"}
    expected = hmac.new(SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_unpadded(signature), expected)
    payload = json.loads(_unpadded(claims))
    assert payload["iss"] == SERVICE_ID
    assert abs(payload["iat"] - time.time()) <= 30  # Notify refuses tokens older than 30 s
    assert SECRET not in json.dumps(sent["body"])  # the secret signs; it is never sent


def test_notify_refusing_a_message_is_a_delivery_failure(notify: FakeNotify) -> None:
    notify.status = 400
    notify.reply = {
        "status_code": 400,
        "errors": [{"error": "BadRequestError", "message": "Can't send to this recipient"}],
    }
    sender = NotifySender(API_KEY, {"data_used": TEMPLATE_ID}, base_url=notify.url)

    with pytest.raises(DeliveryFailed, match=r"\(400\)"):
        sender.send_email("reader.one@example.net", "data_used", PERSONALISATION)


def test_notify_out_of_reach_is_a_delivery_failure() -> None:
    sender = NotifySender(
        API_KEY, {"data_used": TEMPLATE_ID}, base_url=url_nobody_listens_on(), timeout=2
    )
    with pytest.raises(DeliveryFailed):
        sender.send_email("reader.one@example.net", "data_used", PERSONALISATION)


def test_a_reply_without_a_notification_id_is_a_delivery_failure(notify: FakeNotify) -> None:
    notify.reply = {"unexpected": True}
    sender = NotifySender(API_KEY, {"data_used": TEMPLATE_ID}, base_url=notify.url)
    with pytest.raises(DeliveryFailed):
        sender.send_email("reader.one@example.net", "data_used", PERSONALISATION)


def test_a_template_without_a_notify_id_is_a_delivery_failure(notify: FakeNotify) -> None:
    sender = NotifySender(API_KEY, {}, base_url=notify.url)
    with pytest.raises(DeliveryFailed, match="No Notify template"):
        sender.send_email("reader.one@example.net", "data_used", PERSONALISATION)
    assert notify.requests == []


def url_nobody_listens_on() -> str:
    """A local port that was free a moment ago: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- configuration


def test_without_an_api_key_nothing_leaves_the_machine() -> None:
    sender = sender_from_environment({})
    assert isinstance(sender, OutboxOnlySender)
    assert sender.send_email("x@example.net", "data_used", {}).startswith("outbox-only-")


def test_an_api_key_and_template_configure_notify(notify: FakeNotify) -> None:
    sender = sender_from_environment(
        {
            "SHAREWELL_NOTIFY_API_KEY": API_KEY,
            "SHAREWELL_NOTIFY_TEMPLATE_DATA_USED": TEMPLATE_ID,
            "SHAREWELL_NOTIFY_BASE_URL": notify.url,
        }
    )
    assert isinstance(sender, NotifySender)
    assert sender.send_email("x@example.net", "data_used", PERSONALISATION) == NOTIFICATION_ID


@pytest.mark.parametrize(
    ("environment", "problem"),
    [
        ({"SHAREWELL_NOTIFY_API_KEY": API_KEY}, "no template id"),
        (
            {
                "SHAREWELL_NOTIFY_API_KEY": "not-a-key",
                "SHAREWELL_NOTIFY_TEMPLATE_DATA_USED": TEMPLATE_ID,
            },
            "not a GOV.UK Notify API key",
        ),
        (
            {
                "SHAREWELL_NOTIFY_API_KEY": API_KEY,
                "SHAREWELL_NOTIFY_TEMPLATE_DATA_USED": "data-used",
            },
            "not a Notify template id",
        ),
    ],
)
def test_a_half_configured_notify_is_refused(environment: dict[str, str], problem: str) -> None:
    with pytest.raises(NotifyNotConfigured, match=problem):
        sender_from_environment(environment)
