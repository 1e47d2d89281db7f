"""What can go wrong with subjects and consents, each with a message a person can act on.

Messages never repeat an identifier back: a National Insurance number in an error would end
up in logs and problem reports, which must hold no personal data.
"""

from __future__ import annotations

from sharewell.errors import Conflict, InvalidInput, NotFound


class SubjectUnknown(NotFound):
    """No subject has this id or identifier."""


class IdentifierInvalid(InvalidInput):
    """An identifier is malformed, or its scheme is not one sharewell knows."""


class IdentifierTaken(Conflict):
    """The identifier already names another subject."""


class ConsentInputInvalid(InvalidInput):
    """A consent record failed validation; ``problems`` lists every reason. Nothing was written."""
