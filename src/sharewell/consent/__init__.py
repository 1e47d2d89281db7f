"""Consent and objections: who a subject is, and what they have agreed to or refused.

A **subject** is the citizen the data is about, known internally by a random id and to the
outside world by identifiers (a National Insurance number, a record in a body's dataset). Each
subject holds a trail key, so every ledger entry about them can be found by them and linked by
no one else.

A **consent record** (ISO/IEC TS 27560) is one event: consent granted, withdrawn, or an
objection, for a purpose or for one agreement, captured in a stated way, with the wording
shown. Records are never changed: the state that applies to a request is decided from the
history, and every record is on the ledger, so a citizen can prove when they withdrew.
"""
