"""Staff credentials: argon2id passwords, TOTP codes that work once, lockout, sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from factories.register import load_demo_register
from sharewell.accounts import services as accounts
from sharewell.accounts import staff as staff_accounts
from sharewell.accounts.errors import CodeRefused, PasswordTooWeak, SignInFailed
from sharewell.accounts.models import StaffCredential

EMAIL = "officer@northbridge.example"
PASSWORD = "correct horse battery staple"
NOW = dt.datetime(2026, 12, 2, 9, 0, 15, tzinfo=dt.UTC)


@pytest.fixture
def staff(session: Session) -> Session:
    load_demo_register(session)
    accounts.set_credentials(session, EMAIL, PASSWORD)
    return session


def test_the_password_is_stored_as_an_argon2id_hash(staff: Session) -> None:
    user = staff_accounts.by_email(staff, EMAIL)
    stored = staff.get(StaffCredential, user.id)
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    assert accounts.check_password(staff, EMAIL, PASSWORD, now=NOW).email == EMAIL


def test_a_short_password_is_refused(staff: Session) -> None:
    with pytest.raises(PasswordTooWeak, match="at least 12"):
        accounts.set_credentials(staff, EMAIL, "short")


def test_too_many_wrong_passwords_lock_sign_in_for_a_while(staff: Session) -> None:
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(SignInFailed):
            accounts.check_password(staff, EMAIL, "not the password", now=NOW)
    with pytest.raises(SignInFailed):  # locked: the right password does not open it
        accounts.check_password(staff, EMAIL, PASSWORD, now=NOW + dt.timedelta(minutes=1))
    later = NOW + accounts.LOCKOUT + dt.timedelta(seconds=1)
    assert accounts.check_password(staff, EMAIL, PASSWORD, now=later).email == EMAIL


def test_a_code_works_once_and_wrong_codes_count_towards_the_lockout(staff: Session) -> None:
    user = staff_accounts.by_email(staff, EMAIL)
    code = accounts.current_code(staff, EMAIL, now=NOW)
    accounts.check_code(staff, user.id, code, now=NOW)
    with pytest.raises(CodeRefused) as again:
        accounts.check_code(staff, user.id, code, now=NOW)  # the same code again
    # Said as it is (wait for the next code), and not a guess: it does not count.
    assert again.value.message == "You have already used this security code."
    assert "Wait for your authenticator app to show a new code" in (again.value.hint or "")
    for _ in range(accounts.MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(CodeRefused):
            accounts.check_code(staff, user.id, "000000", now=NOW)
    later = NOW + dt.timedelta(seconds=60)
    accounts.check_code(  # four wrong codes: not yet locked
        staff, user.id, accounts.current_code(staff, EMAIL, now=later), now=later
    )
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(CodeRefused):
            accounts.check_code(staff, user.id, "000000", now=later)
    later = later + dt.timedelta(seconds=60)
    with pytest.raises(CodeRefused):  # five failures in a row: locked, even for a good code
        accounts.check_code(
            staff, user.id, accounts.current_code(staff, EMAIL, now=later), now=later
        )


def test_a_closed_or_expired_session_signs_nobody_in(staff: Session) -> None:
    user = staff_accounts.by_email(staff, EMAIL)
    token = accounts.open_session(staff, user.id, now=NOW)
    assert accounts.signed_in(staff, token, now=NOW) is not None
    assert accounts.signed_in(staff, token + "x", now=NOW) is None
    assert accounts.signed_in(staff, token, now=NOW + accounts.SESSION_LIFETIME) is None
    accounts.close_session(staff, token, now=NOW)
    assert accounts.signed_in(staff, token, now=NOW) is None
