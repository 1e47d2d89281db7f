"""The broker: requests for data decided, minimised and recorded; and who may ask.

Machine clients (a partner council's system, DWP, a school's MIS) are **API clients**:
registered to an organisation with an Ed25519 public key, identified by a key id, and either
active or revoked. They sign every request with HTTP Message Signatures (RFC 9421), covering
the method, the path, the body's Content-Digest (RFC 9530), the time it was made and a nonce
never used before; ``client_auth`` checks all of that before a request reaches the broker.
"""
