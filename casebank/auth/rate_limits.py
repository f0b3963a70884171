"""Rate limits on everything that checks a credential: per address, and per account at an
address (a limit per account alone would let anyone who knows an address shut its owner out).
Failed logins are counted and locked in the database as well (casebank/auth/lockout.py).

Flask-Limiter keeps counts in memory by default and in Redis when CASEBANK_REDIS_URL is set
(required with several workers, or each worker counts alone).
"""

from flask import request, session

from casebank.client_address import current_client
from casebank.extensions import limiter

PER_ADDRESS = "20 per minute;200 per hour"
PER_ACCOUNT_AND_ADDRESS = "10 per minute;50 per hour"


def account_key():
    """The account a login or 2FA attempt is aimed at (not whether it exists), at this address."""
    email = (request.form.get("email") or "").strip().lower()
    account = email or str(session.get("tf_user_id") or "")
    return f"account:{account}|{current_client()}"


def limit_security_views(app):
    security_views = app.blueprints["security"]
    limiter.limit(PER_ADDRESS, methods=["POST"])(security_views)
    limiter.limit(PER_ACCOUNT_AND_ADDRESS, methods=["POST"], key_func=account_key)(security_views)
