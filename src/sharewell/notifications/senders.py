"""Who carries a message to the citizen: nobody (the demo's outbox) or GOV.UK Notify.

``sender_from_environment`` picks one: with ``SHAREWELL_NOTIFY_API_KEY`` set, Notify (through
its official client, ``notifications-python-client``) with the template ids from
``SHAREWELL_NOTIFY_TEMPLATE_<TEMPLATE>``; without it, ``OutboxOnlySender``, so nothing ever
leaves a demo or a developer's machine by accident.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

from sharewell.notifications.errors import DeliveryFailed, NotifyNotConfigured
from sharewell.notifications.models import Template

log = logging.getLogger(__name__)

API_KEY_ENV = "SHAREWELL_NOTIFY_API_KEY"
BASE_URL_ENV = "SHAREWELL_NOTIFY_BASE_URL"  # another Notify-compatible service, or a test's
TEMPLATE_ENV_PREFIX = "SHAREWELL_NOTIFY_TEMPLATE_"
NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"
# A Notify API key is "<key name>-<service id>-<secret key>", the last two UUIDs.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_API_KEY = re.compile(rf"^.+-(?P<service>{_UUID})-(?P<secret>{_UUID})$")
_TEMPLATE_ID = re.compile(rf"^{_UUID}$")


class Sender(Protocol):
    name: str  # for the operator: who carries the messages

    def send_email(self, to: str, template: str, personalisation: Mapping[str, Any]) -> str:
        """Hand one email over for delivery; returns the sender's reference for it, or raises
        ``DeliveryFailed`` (the message is then retried later)."""
        ...


class OutboxOnlySender:
    """The demo's sender: nothing leaves the machine. Each message is marked delivered and
    logged (by template and outbox reference only: a log holds no email address)."""

    name = "outbox only (nothing is sent)"

    def send_email(self, to: str, template: str, personalisation: Mapping[str, Any]) -> str:
        reference = f"outbox-only-{uuid.uuid4()}"
        log.info("kept %s message in the outbox, not sent (%s)", template, reference)
        return reference


class NotifySender:
    """Sends through GOV.UK Notify's REST API: POST /v2/notifications/email, authorised by a
    JWT (HS256, issuer the service id, signed with the key's secret) for each request."""

    name = "GOV.UK Notify"

    def __init__(
        self,
        api_key: str,
        template_ids: Mapping[str, str],
        *,
        base_url: str = NOTIFY_BASE_URL,
        timeout: float = 10,
    ) -> None:
        if not _API_KEY.match(api_key):
            raise NotifyNotConfigured(
                f"{API_KEY_ENV} is not a GOV.UK Notify API key.",
                hint="Copy the whole key from Notify's API integration page "
                "(its name, then the service id and the secret).",
            )
        for template, template_id in template_ids.items():
            if not _TEMPLATE_ID.match(template_id):
                raise NotifyNotConfigured(
                    f"{TEMPLATE_ENV_PREFIX}{template.upper()} is not a Notify template id.",
                    hint="Copy the template's id (a UUID) from its page in Notify.",
                )
        self.template_ids = dict(template_ids)
        # The official client has no type hints (hence the ignores); it is small and stable.
        self.client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            api_key, base_url=base_url, timeout=timeout
        )

    def send_email(self, to: str, template: str, personalisation: Mapping[str, Any]) -> str:
        template_id = self.template_ids.get(template)
        if template_id is None:
            raise DeliveryFailed(
                f"No Notify template is configured for {template!r} messages.",
                hint=f"Set {TEMPLATE_ENV_PREFIX}{template.upper()} to the template's id.",
            )
        try:
            response = self.client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=to, template_id=template_id, personalisation=dict(personalisation)
            )
        except APIError as error:  # HTTP errors, unreachable service, and replies not JSON
            raise DeliveryFailed(
                f"GOV.UK Notify did not accept the message ({error.status_code}): {error.message}",
                hint="It stays in the outbox; `sharewell notifications send` retries it.",
            ) from None
        if not isinstance(response, dict) or not isinstance(response.get("id"), str):
            raise DeliveryFailed("GOV.UK Notify's reply did not name the notification it made.")
        return str(response["id"])


def sender_from_environment(environ: Mapping[str, str] | None = None) -> Sender:
    """Notify when an API key is configured, the outbox otherwise."""
    environ = os.environ if environ is None else environ
    api_key = environ.get(API_KEY_ENV, "").strip()
    if not api_key:
        return OutboxOnlySender()
    template_ids = {
        template.value: environ.get(f"{TEMPLATE_ENV_PREFIX}{template.value.upper()}", "").strip()
        for template in Template
    }
    missing = [template for template, template_id in template_ids.items() if not template_id]
    if missing:
        raise NotifyNotConfigured(
            f"{API_KEY_ENV} is set but no template id is set for: {', '.join(missing)}.",
            hint=" ".join(f"Set {TEMPLATE_ENV_PREFIX}{t.upper()}." for t in missing),
        )
    return NotifySender(
        api_key, template_ids, base_url=environ.get(BASE_URL_ENV, "").strip() or NOTIFY_BASE_URL
    )
