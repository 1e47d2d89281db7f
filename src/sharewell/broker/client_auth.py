"""Machine clients: registering their keys, and checking the signature on every request.

A partner system signs each request with HTTP Message Signatures (RFC 9421) and its Ed25519
key; ``http_message_signatures`` builds the signature base and checks the signature. Sharewell
adds its policy, and refuses a request, each time with its own error, unless:

- it carries exactly one signature (``Signature`` and ``Signature-Input`` headers);
- the signature declares ``alg="ed25519"`` and the ``keyid`` of an active API client;
- it covers ``"@method"``, ``"@path"`` (with ``"@query"`` when the URL has a query) or
  ``"@target-uri"``, and ``"content-digest"``;
- its ``created`` time is within the window (±300 s by default) of the server's clock, and an
  ``expires`` time, if given, has not passed;
- its ``nonce`` (16 to 128 characters) was never used before with that key;
- the ``Content-Digest`` header (RFC 9530, sha-256 or sha-512) matches the body bytes sent.

The nonce is recorded in the caller's transaction: it is spent when the request's work
commits, and a replay inside the window is refused. A nonce is kept for twice the window (a
request accepted now may carry a ``created`` up to one window ahead, and a replay of it passes
the time check for up to one window after that), then pruned.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sharewell.broker.errors import (
    ApiClientInputInvalid,
    ApiClientKeyTaken,
    ApiClientNotFound,
    BodyDigestInvalid,
    ClientKeyRevoked,
    ClientKeyUnknown,
    NonceInvalid,
    NonceReplayed,
    SignatureAlgorithmRefused,
    SignatureCoverageInvalid,
    SignatureFromFuture,
    SignatureInvalid,
    SignatureMalformed,
    SignatureMissing,
    SignatureParametersInvalid,
    SignatureTooOld,
)
from sharewell.broker.models import (
    ED25519_PUBLIC_KEY_BYTES,
    NONCE_MAX_LENGTH,
    ApiClient,
    ApiClientNonce,
    ApiClientStatus,
)
from sharewell.register import services as register
from sharewell.web.deps import SessionDep

ALGORITHM = "ed25519"
DEFAULT_WINDOW = dt.timedelta(seconds=300)
NONCE_MIN_LENGTH = 16
# The parameters RFC 9421 defines; anything else is refused rather than silently ignored.
ACCEPTED_PARAMETERS = frozenset({"alg", "created", "expires", "keyid", "nonce", "tag"})
# Derived components that need the scheme and host the client addressed.
ORIGIN_COMPONENTS = frozenset({"@target-uri", "@authority", "@scheme"})
REQUIRED_SUMMARY = (
    'Sharewell requires the signature to cover "@method", "@path" (and "@query" when the URL '
    'has a query) or "@target-uri", and "content-digest".'
)
NAME_MAX_LENGTH = 200


# Registering clients ---------------------------------------------------------------------

_KEY_FORMATS = (
    "Give the key as a PEM file (-----BEGIN PUBLIC KEY-----), an OpenSSH public key "
    "(ssh-ed25519 …) or the base64 of its raw 32 bytes."
)


def parse_public_key(data: bytes) -> bytes:
    """An Ed25519 public key as its raw 32 bytes, from PEM, OpenSSH or base64 text."""
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN"):
            key: object = serialization.load_pem_public_key(text)
        elif text.startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(text)
        else:
            raw = _base64(text)
            if len(raw) != ED25519_PUBLIC_KEY_BYTES:
                raise ApiClientInputInvalid(
                    f"The public key is {len(raw)} bytes; an Ed25519 public key is 32.",
                    hint=_KEY_FORMATS,
                )
            key = Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, UnsupportedAlgorithm):
        raise ApiClientInputInvalid("The public key cannot be read.", hint=_KEY_FORMATS) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ApiClientInputInvalid(
            "The public key is not an Ed25519 key; API clients sign with Ed25519.",
            hint=_KEY_FORMATS,
        )
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _base64(text: bytes) -> bytes:
    padded = text + b"=" * (-len(text) % 4)
    try:
        if b"-" in text or b"_" in text:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiClientInputInvalid(
            "The public key is not PEM, OpenSSH or base64.", hint=_KEY_FORMATS
        ) from None


def key_id_for(organisation_id: str, public_key: bytes) -> str:
    """``<organisation>.<fingerprint>``: the first 128 bits of SHA-256 of the key, in base32."""
    digest = hashlib.sha256(public_key).digest()[:16]
    fingerprint = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return f"{organisation_id}.{fingerprint}"


def register_client(
    session: Session, *, organisation_id: str, name: str, public_key: bytes
) -> ApiClient:
    """Register an organisation's system with its raw Ed25519 public key; return it active."""
    name = name.strip()
    problems = []
    if not name:
        problems.append("name: give the system a name people will recognise")
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(f"name: at most {NAME_MAX_LENGTH} characters")
    if len(public_key) != ED25519_PUBLIC_KEY_BYTES:
        problems.append("public key: an Ed25519 public key is 32 bytes")
    if problems:
        raise ApiClientInputInvalid("The API client cannot be registered.", problems=problems)
    organisation = register.get_organisation(session, organisation_id)
    key_id = key_id_for(organisation.id, public_key)
    if _find_client(session, key_id) is not None:
        raise _key_taken(key_id)
    client = ApiClient(
        organisation_id=organisation.id,
        name=name,
        key_id=key_id,
        public_key=public_key,
        status=ApiClientStatus.ACTIVE.value,
    )
    try:
        with session.begin_nested():
            session.add(client)
            session.flush()
    except IntegrityError:
        # Another transaction registered the same key first; only that explains it, so look.
        if _find_client(session, key_id) is None:
            raise
        raise _key_taken(key_id) from None
    return client


def _key_taken(key_id: str) -> ApiClientKeyTaken:
    return ApiClientKeyTaken(
        f"This public key is already registered, as '{key_id}'.",
        hint="A key is registered once and never reused after revocation: make a new key pair.",
    )


def list_clients(session: Session, organisation_id: str | None = None) -> Sequence[ApiClient]:
    query = select(ApiClient).order_by(ApiClient.organisation_id, ApiClient.created_at)
    if organisation_id is not None:
        query = query.where(ApiClient.organisation_id == organisation_id)
    return session.scalars(query).all()


def get_client(session: Session, key_id: str) -> ApiClient:
    client = _find_client(session, key_id)
    if client is None:
        raise ApiClientNotFound(key_id)
    return client


def revoke_client(session: Session, key_id: str, *, now: dt.datetime | None = None) -> bool:
    """Revoke a client's key from the next request on. False if it was already revoked."""
    client = get_client(session, key_id)
    if not client.is_active:
        return False
    client.status = ApiClientStatus.REVOKED.value
    client.revoked_at = now or dt.datetime.now(dt.UTC)
    session.flush()
    return True


def _find_client(session: Session, key_id: str) -> ApiClient | None:
    return session.scalar(select(ApiClient).where(ApiClient.key_id == key_id))


# Verifying signed requests ---------------------------------------------------------------


@dataclass(frozen=True)
class _Fields:
    """The request's header lines, in order, as the library reads them (``items()``)."""

    lines: tuple[tuple[str, str], ...]

    def items(self) -> Iterable[tuple[str, str]]:
        return self.lines

    def names(self) -> set[str]:
        return {name.lower() for name, _ in self.lines}


@dataclass(frozen=True)
class _Message:
    """A request as ``http_message_signatures`` reads it: method, absolute URL, headers."""

    method: str
    url: str
    headers: _Fields


@dataclass(frozen=True)
class _SignatureInput:
    """One signature's covered components and parameters, copied out of the library's types."""

    components: frozenset[tuple[str, frozenset[tuple[str, object]]]]
    parameters: Mapping[str, object]

    @classmethod
    def from_library(cls, inner_list: Any) -> _SignatureInput:
        return cls(
            components=frozenset(
                (str(item.value), frozenset(dict(item.params).items())) for item in inner_list
            ),
            parameters=dict(inner_list.params),
        )

    @property
    def bare_components(self) -> set[str]:
        """Components covered without parameters (``"@query-param";name=…`` is not bare)."""
        return {name for name, parameters in self.components if not parameters}


@dataclass(eq=False)
class _Policy(HTTPSignatureKeyResolver):
    """Sharewell's rules for one request, and the key resolver that follows from them."""

    session: Session
    now: dt.datetime
    window: dt.timedelta
    has_origin: bool
    has_query: bool
    client: ApiClient | None = field(default=None, init=False)
    nonce: str = field(default="", init=False)

    def check(self, signature: _SignatureInput) -> None:
        parameters = signature.parameters
        self._check_algorithm(parameters.get("alg"))
        unknown = sorted(set(parameters) - ACCEPTED_PARAMETERS)
        if unknown:
            raise SignatureParametersInvalid(
                f"The signature has parameters sharewell does not accept: {', '.join(unknown)}. "
                "Use only alg, created, expires, keyid, nonce and tag."
            )
        key_id = parameters.get("keyid")
        if not isinstance(key_id, str) or not key_id:
            raise SignatureParametersInvalid(
                'The signature has no "keyid" parameter. Give the key id sharewell printed '
                "when your client was registered."
            )
        self._check_coverage(signature)
        self._check_times(parameters.get("created"), parameters.get("expires"))
        self.nonce = self._check_nonce(parameters.get("nonce"))
        self.client = self._active_client(key_id)

    def _check_algorithm(self, alg: object) -> None:
        if alg is None:
            raise SignatureAlgorithmRefused(
                'The signature does not declare its algorithm. Add alg="ed25519" to '
                "Signature-Input: sharewell accepts Ed25519 signatures only."
            )
        if alg != ALGORITHM:
            raise SignatureAlgorithmRefused(
                f'The signature declares alg="{alg}"; sharewell accepts only alg="ed25519".'
            )

    def _check_coverage(self, signature: _SignatureInput) -> None:
        covered = signature.bare_components
        if not self.has_origin:
            needs_origin = sorted(
                name for name, _ in signature.components if name in ORIGIN_COMPONENTS
            )
            if needs_origin:
                raise SignatureCoverageInvalid(
                    f"The signature covers {_quoted(needs_origin)}, which cannot be checked "
                    'here without the address the client used. Cover "@path" instead. '
                    + REQUIRED_SUMMARY
                )
        missing = [name for name in ("@method", "content-digest") if name not in covered]
        if "@target-uri" not in covered:
            if "@path" not in covered:
                missing.append("@path")
            elif self.has_query and "@query" not in covered:
                missing.append("@query")
        if missing:
            raise SignatureCoverageInvalid(
                f"The signature does not cover {_quoted(missing)}. {REQUIRED_SUMMARY}"
            )

    def _check_times(self, created: object, expires: object) -> None:
        if type(created) is not int:
            raise SignatureParametersInvalid(
                'The signature has no "created" parameter. Set created to the current Unix '
                "time, in seconds, when signing."
            )
        clock = int(self.now.timestamp())
        allowed = int(self.window.total_seconds())
        if created < clock - allowed:
            raise SignatureTooOld(
                f"The signature was created {clock - created} seconds before the server's "
                f"time ({_iso(self.now)}); sharewell accepts signatures created within "
                f"{allowed} seconds. Sign each request just before sending it, and keep the "
                "client's clock right (NTP)."
            )
        if created > clock + allowed:
            raise SignatureFromFuture(
                f"The signature was created {created - clock} seconds after the server's "
                f"time ({_iso(self.now)}); sharewell accepts clocks up to {allowed} seconds "
                "ahead. Check the client's clock (NTP)."
            )
        if expires is not None and (type(expires) is not int or expires < clock):
            raise SignatureTooOld(
                'The signature\'s "expires" time has passed. Sign the request again.'
            )

    def _check_nonce(self, nonce: object) -> str:
        if not isinstance(nonce, str):
            raise NonceInvalid(
                'The signature has no "nonce" parameter. Give every request a fresh random '
                "nonce, for example secrets.token_urlsafe(24)."
            )
        if not NONCE_MIN_LENGTH <= len(nonce) <= NONCE_MAX_LENGTH:
            raise NonceInvalid(
                f"The signature's nonce is {len(nonce)} characters; use {NONCE_MIN_LENGTH} "
                f"to {NONCE_MAX_LENGTH} random characters, for example "
                "secrets.token_urlsafe(24)."
            )
        return nonce

    def _active_client(self, key_id: str) -> ApiClient:
        client = _find_client(self.session, key_id)
        if client is None:
            raise ClientKeyUnknown(
                f"No API client is registered with key id '{key_id}'.",
                hint="Check the keyid you sign with; the operator registers keys with "
                "`sharewell clients add`.",
            )
        if not client.is_active:
            raise ClientKeyRevoked(
                f"The API client with key id '{key_id}' has been revoked.",
                hint="Ask the operator to register a new key (`sharewell clients add`).",
            )
        return client

    # HTTPSignatureKeyResolver: the library asks for the key only after ``check`` passed.
    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        if self.client is None or self.client.key_id != key_id:
            return None
        return Ed25519PublicKey.from_public_bytes(self.client.public_key)


class _Verifier(HTTPMessageVerifier):
    """The library's verifier, with sharewell's policy where it checks signature parameters."""

    def __init__(self, policy: _Policy) -> None:
        super().__init__(signature_algorithm=algorithms.ED25519, key_resolver=policy)
        self.policy = policy
        self.policy_passed = False

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        # The library calls this first for the signature, with its parsed Signature-Input and
        # before resolving the key: the whole policy runs here and raises typed errors.
        self.policy.check(_SignatureInput.from_library(sig_input))
        self.policy_passed = True


def verify_signed_request(
    session: Session,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    now: dt.datetime | None = None,
    origin: str | None = None,
    window: dt.timedelta = DEFAULT_WINDOW,
) -> ApiClient:
    """The active API client that signed this request, or a ``ClientAuthFailed`` error.

    ``url`` is the request target as sent (path and query, still percent-encoded); ``origin``
    (``https://host[:port]``), when known, also allows ``"@target-uri"``. ``headers`` is
    read through ``items()``, so repeated header lines count (Starlette's ``Headers`` works).
    The nonce is inserted in ``session``'s transaction: the caller's commit spends it.
    """
    now = now or dt.datetime.now(dt.UTC)
    fields = _Fields(tuple(headers.items()))
    missing = [
        name for name in ("Signature-Input", "Signature") if name.lower() not in fields.names()
    ]
    if missing:
        raise SignatureMissing(
            f"The request is not signed: it has no {' or '.join(missing)} header. API "
            "requests must be signed with the client's Ed25519 key (HTTP Message "
            "Signatures, RFC 9421)."
        )
    policy = _Policy(
        session=session, now=now, window=window, has_origin=origin is not None, has_query="?" in url
    )
    verifier = _Verifier(policy)
    message = _Message(
        method=method, url=f"{origin or 'http://sharewell.invalid'}{url}", headers=fields
    )
    try:
        results = verifier.verify(message, max_age=None)
    except HTTPMessageSignaturesException:
        if not verifier.policy_passed:
            raise SignatureMalformed(
                "The Signature and Signature-Input headers cannot be read as one RFC 9421 "
                "signature: send exactly one signature, with the same label in both headers."
            ) from None
        raise SignatureInvalid(
            f"The signature does not verify with the public key registered as "
            f"'{policy.client.key_id if policy.client else ''}': this request's method, path, "
            "query or Content-Digest differ from what was signed, or another key signed it."
        ) from None
    client = policy.client
    if not verifier.policy_passed or client is None or len(results) != 1:
        # Unreachable with http-message-signatures 3.x; fails closed should a later version
        # stop calling the hook the policy runs in.
        raise SignatureMalformed("The request must carry exactly one signature.")
    _check_body(results[0].covered_components.get('"content-digest"'), body)
    _spend_nonce(session, client.key_id, policy.nonce, now=now, window=window)
    return client


def _check_body(digest: str | None, body: bytes) -> None:
    if digest is None:
        raise SignatureCoverageInvalid(
            f'The signature does not cover "content-digest". {REQUIRED_SUMMARY}'
        )
    try:
        ContentDigest.verify(digest, body)
    except InvalidSignature:
        raise BodyDigestInvalid(
            "The body does not match the Content-Digest header the signature covers: the body "
            "was altered, or the digest is not sha-256 or sha-512 of the exact bytes sent.",
            hint="Send Content-Digest: sha-256=:<base64 of SHA-256 of the body>: (RFC 9530), "
            "computed over the bytes you send, and sign it.",
        ) from None


_NONCES = cast(Table, ApiClientNonce.__table__)
# Built once: every signed request spends a nonce and prunes.
_SPEND = {
    "postgresql": postgresql.insert(_NONCES)
    .on_conflict_do_nothing(index_elements=["key_id", "nonce"])
    .returning(_NONCES.c.id),
    "sqlite": sqlite.insert(_NONCES)
    .on_conflict_do_nothing(index_elements=["key_id", "nonce"])
    .returning(_NONCES.c.id),
}
# Rows another transaction is pruning are skipped rather than waited for.
_PRUNE = delete(_NONCES).where(
    _NONCES.c.id.in_(
        select(_NONCES.c.id)
        .where(_NONCES.c.key_id == bindparam("key_id"), _NONCES.c.seen_at < bindparam("before"))
        .with_for_update(skip_locked=True)
    )
)


def _spend_nonce(
    session: Session, key_id: str, nonce: str, *, now: dt.datetime, window: dt.timedelta
) -> None:
    # The unique key (key_id, nonce) decides: no row inserted means this nonce was spent. On
    # PostgreSQL a concurrent insert of the same nonce waits for the first to commit or roll back.
    connection = session.connection()
    spend = _SPEND[connection.dialect.name]
    spent = connection.execute(spend, {"key_id": key_id, "nonce": nonce, "seen_at": now}).first()
    if spent is None:
        raise NonceReplayed(
            f"This nonce was already used with key '{key_id}': the request is a replay.",
            hint="Sign every request afresh, with a new random nonce.",
        )
    # Prune what can no longer be replayed.
    connection.execute(_PRUNE, {"key_id": key_id, "before": now - 2 * window})


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


# The FastAPI dependency ------------------------------------------------------------------


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def signed_client(
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    session: SessionDep,
) -> ApiClient:
    """The API client that signed this request; also the route's access declaration.

    Declare it on every route machine clients call (``client: SignedClient``). It shares the
    request's unit of work (``SessionDep``), so the nonce is spent when the route's work commits.
    The window is ``app.state.client_signature_window`` when set, else ±300 seconds.
    """
    raw_path = request.scope.get("raw_path") or request.url.path.encode("ascii")
    query = request.scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
    return verify_signed_request(
        session,
        method=request.method,
        url=target,
        headers=request.headers,
        body=body,
        origin=f"{request.url.scheme}://{request.url.netloc}",
        window=getattr(request.app.state, "client_signature_window", DEFAULT_WINDOW),
    )


SignedClient = Annotated[ApiClient, Depends(signed_client)]
