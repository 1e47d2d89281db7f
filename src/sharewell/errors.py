"""The one error base: every failure a person can see says what went wrong and what to do."""

from __future__ import annotations


class SharewellError(Exception):
    """A failure a person can act on.

    ``message`` says what went wrong; ``hint`` says what to do about it. Domains raise
    subclasses; the web layer and the CLI map the subclasses, never the text.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class NotFound(SharewellError):
    """The thing asked for does not exist (or the asker may not know it does)."""


class InvalidInput(SharewellError):
    """Input failed validation; nothing was written.

    ``fields`` says what was wrong with each named field of a form (field name → what to do),
    so a page shows each next to its field without validating again; ``problems`` are the
    rest, or every problem of a file.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        problems: list[str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.fields = dict(fields or {})
        self.problems = [*(problems or []), *self.fields.values()]

    def diagnostics(self) -> str:
        lines = [self.message, *(f"  - {p}" for p in self.problems)]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class Unauthenticated(SharewellError):
    """The request did not prove who sent it: no credentials, or ones that do not verify."""


class PermissionDenied(SharewellError):
    """The actor's organisation or role does not allow this."""


class Busy(SharewellError):
    """Too much at once: nothing was written, and the caller should retry after a moment."""

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(
            message, hint=hint or f"Nothing was written. Retry after {retry_after} seconds."
        )
        self.retry_after = retry_after


class Conflict(SharewellError):
    """The change clashes with what is already stored (a duplicate id, a stale state)."""
