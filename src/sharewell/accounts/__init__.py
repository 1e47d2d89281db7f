"""Staff accounts: passwords (argon2), second factors (TOTP) and signed-in sessions."""
