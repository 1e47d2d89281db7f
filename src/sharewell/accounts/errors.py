"""What can go wrong signing in. Messages never say which of email or password was wrong."""

from __future__ import annotations

from sharewell.errors import Conflict, InvalidInput, NotFound, Unauthenticated


class SignInFailed(Unauthenticated):
    """The email address and password do not match a member of staff who can sign in."""


class CodeRefused(Unauthenticated):
    """The security code is wrong, expired or already used."""


class PasswordTooWeak(InvalidInput):
    """A new password is too short to be safe."""


class StaffUserNotFound(NotFound):
    def __init__(self, email: str) -> None:
        super().__init__(f"There is no staff user with email '{email}'.")


class StaffEmailTaken(Conflict):
    """A member of staff already has this email address (emails are how staff sign in)."""

    def __init__(self, email: str) -> None:
        super().__init__(
            f"A member of staff already has the email address {email}.",
            hint="Each person signs in with their own email address: check it, or use theirs.",
        )
