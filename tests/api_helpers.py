"""Tokens for API tests, made through the same service as the account page."""

from datetime import date, timedelta

from casebank.auth import tokens
from tests.factories import role_user


def token_for(role_or_user, *scopes, days=30):
    """A fresh token secret for a test role user (or a user) with these scopes (flushed)."""
    user = role_user(role_or_user) if isinstance(role_or_user, str) else role_or_user
    _, secret = tokens.create_token(user, "test", list(scopes), date.today() + timedelta(days))
    return secret


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}
