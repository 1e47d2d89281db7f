"""What can go wrong with notifications, each with a message a person can act on."""

from __future__ import annotations

from sharewell.errors import InvalidInput, SharewellError


class EmailAddressInvalid(InvalidInput):
    """The email address to send updates to is not one a message could be delivered to."""


class NotifyNotConfigured(SharewellError):
    """GOV.UK Notify is half configured: an API key without a template, or a malformed key."""


class DeliveryFailed(SharewellError):
    """A sender could not hand a message over; the message stays in the outbox for a retry."""
