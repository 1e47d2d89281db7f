"""The transparency ledger: an append-only Merkle log of decisions that anyone can audit.

Pure, spec-shaped pieces live here, each readable beside the document it follows:

- ``merkle``: RFC 9162 §2.1 tree hashes, inclusion and consistency proofs, and proof plans
  over stored perfect subtrees;
- ``note``: C2SP signed-note (Ed25519) and tlog-cosignature/v1 witness cosignatures;
- ``checkpoint``: C2SP tlog-checkpoint, the signed tree head;
- ``tiles``: C2SP tlog-tiles paths, hash tiles and entry bundles;
- ``audit``: an offline verifier of a whole tiled log, from a directory or a URL.

Storage (tables, append, the sequencer) builds on these and lives beside them.
"""
