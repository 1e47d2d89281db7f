"""What can go wrong signing in. Messages never say which of email or password was wrong."""

from __future__ import annotations

from sharewell.errors import InvalidInput, Unauthenticated


class SignInFailed(Unauthenticated):
    """The email address and password do not match a member of staff who can sign in."""


class CodeRefused(Unauthenticated):
    """The security code is wrong, expired or already used."""


class PasswordTooWeak(InvalidInput):
    """A new password is too short to be safe."""
