"""API clients for tests: a registered key pair, and requests signed the way a partner signs."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSigner,
    HTTPSignatureAlgorithm,
    MappingKeyResolver,
    algorithms,
)
from sqlalchemy.orm import Session

from sharewell.broker import client_auth
from sharewell.register.models import Organisation
from sharewell.register.vocabulary import OrganisationKind

# What docs/api.md tells partners to cover.
COVERED = ("@method", "@path", "@query", "content-digest")


@dataclass
class OutgoingRequest:
    """What the library's signer reads and writes: method, absolute URL and headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def fresh_nonce() -> str:
    return secrets.token_urlsafe(24)


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


@dataclass
class SigningClient:
    """A key pair and the key id sharewell knows it by (registered or not)."""

    key_id: str
    private_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def sign(
        self,
        method: str,
        url: str,
        body: bytes = b"",
        *,
        covered: tuple[str, ...] = COVERED,
        created: dt.datetime | None = None,
        expires: dt.datetime | None = None,
        nonce: str | None = "fresh",
        algorithm: type[HTTPSignatureAlgorithm] = algorithms.ED25519,
        signing_key: object = None,
        include_alg: bool = True,
        digest_body: bool = True,
        headers: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """The headers of ``method url`` with ``body``, signed as asked.

        ``digest_body`` lets the signer add and cover Content-Digest; with it False, the
        digest is still sent but covered only if ``covered`` names it.
        """
        request = OutgoingRequest(method, url, {"Content-Type": "application/json"})
        request.headers.update(headers or {})
        if not digest_body:
            request.headers.setdefault("Content-Digest", ContentDigest.create(body))
        key = self.private_key if signing_key is None else signing_key
        signer = HTTPMessageSigner(
            signature_algorithm=algorithm,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={self.key_id: key}),
        )
        signer.sign(
            request,
            key_id=self.key_id,
            label="sharewell",
            created=created or dt.datetime.now(dt.UTC),
            expires=expires,
            nonce=fresh_nonce() if nonce == "fresh" else nonce,
            covered_component_ids=covered,
            include_alg=include_alg,
            body=body if digest_body else None,
            use_existing_digest=not digest_body,
        )
        return request.headers


def organisation(session: Session, organisation_id: str = "northbridge") -> str:
    """An organisation to register clients for (created if the database has none by that id)."""
    if session.get(Organisation, organisation_id) is None:
        session.add(
            Organisation(
                id=organisation_id, name=organisation_id.title(), kind=OrganisationKind.COUNCIL
            )
        )
        session.flush()
    return organisation_id


def register_client(
    session: Session, organisation_id: str = "northbridge", name: str = "Test system"
) -> SigningClient:
    """A new key pair, registered and active (its organisation created if need be)."""
    organisation(session, organisation_id)
    private_key = Ed25519PrivateKey.generate()
    client = client_auth.register_client(
        session, organisation_id=organisation_id, name=name, public_key=raw_public_key(private_key)
    )
    return SigningClient(client.key_id, private_key)


def unregistered_client(organisation_id: str = "northbridge") -> SigningClient:
    private_key = Ed25519PrivateKey.generate()
    return SigningClient(
        client_auth.key_id_for(organisation_id, raw_public_key(private_key)), private_key
    )
