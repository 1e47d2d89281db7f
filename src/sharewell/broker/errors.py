"""What can go wrong when a machine client signs a request, or is registered.

Every refusal of a signed request is an ``Unauthenticated`` (HTTP 401) subclass whose message
tells the partner's developer exactly what to change. Library errors never leak: they are
turned into these where they enter sharewell (``client_auth``).
"""

from __future__ import annotations

from sharewell.errors import Conflict, InvalidInput, NotFound, Unauthenticated

SIGNING_GUIDE = "See docs/api.md, 'Authentication', for a worked signed request."


class ClientAuthFailed(Unauthenticated):
    """A request's signature did not prove which API client sent it."""

    def __init__(self, message: str, *, hint: str | None = SIGNING_GUIDE) -> None:
        super().__init__(message, hint=hint)


class SignatureMissing(ClientAuthFailed):
    """The request has no Signature or no Signature-Input header."""


class SignatureMalformed(ClientAuthFailed):
    """The Signature and Signature-Input headers cannot be read as one RFC 9421 signature."""


class SignatureAlgorithmRefused(ClientAuthFailed):
    """The signature does not declare ``alg="ed25519"``."""


class SignatureParametersInvalid(ClientAuthFailed):
    """A required signature parameter is missing, or one sharewell does not accept is present."""


class SignatureCoverageInvalid(ClientAuthFailed):
    """The signature does not cover every component sharewell requires (or one it cannot check)."""


class SignatureTooOld(ClientAuthFailed):
    """The signature's ``created`` time is further in the past than the window allows."""


class SignatureFromFuture(ClientAuthFailed):
    """The signature's ``created`` time is further in the future than the window allows."""


class NonceInvalid(ClientAuthFailed):
    """The signature's ``nonce`` is missing, too short or too long."""


class NonceReplayed(ClientAuthFailed):
    """The nonce was already used with this key: the request is a replay."""


class ClientKeyUnknown(ClientAuthFailed):
    """No API client is registered with the signature's ``keyid``."""


class ClientKeyRevoked(ClientAuthFailed):
    """The API client with the signature's ``keyid`` has been revoked."""


class SignatureInvalid(ClientAuthFailed):
    """The signature does not verify with the client's public key over this request."""


class BodyDigestInvalid(ClientAuthFailed):
    """The body sent is not the one the signed Content-Digest describes (or it is no digest)."""


class ApiClientInputInvalid(InvalidInput):
    """A public key or a client's details failed validation; nothing was written."""


class ApiClientNotFound(NotFound):
    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"There is no API client with key id '{key_id}'.",
            hint="List the registered clients with `sharewell clients list`.",
        )


class ApiClientKeyTaken(Conflict):
    """The public key is already registered (perhaps revoked): keys are never reused."""


class IdempotencyConflict(Conflict):
    """An idempotency key was reused for a different request, or while its first use runs."""


class BatchTooLargeForOneAnswer(InvalidInput):
    def __init__(self, subjects: int, limit: int) -> None:
        super().__init__(
            f"subjects: {subjects} subjects is more than one answer holds ({limit}).",
            hint="Send it to /api/v1/decisions/stream, which streams each decision as it "
            "commits, or split it.",
        )


class BrokerRequestNotFound(NotFound):
    """No request with this id was made by the asker's organisation (another's is not shown)."""

    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"Your organisation has made no request with id '{request_id}'.",
            hint="Your organisation's decisions are listed at /staff/decisions.",
        )
