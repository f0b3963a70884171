"""Rate limits on everything that checks a credential: per address and per account.

Flask-Limiter keeps counts in memory by default and in Redis when CASEBANK_REDIS_URL is set
(required with several workers, or each worker counts alone).
"""

from flask import request, session
from flask_limiter.util import get_remote_address

from casebank.extensions import limiter

PER_ADDRESS = "20 per minute;200 per hour"
PER_ACCOUNT = "10 per minute;50 per hour"


def account_key():
    """The account a login or 2FA attempt is aimed at (not whether it exists)."""
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + (email or str(session.get("tf_user_id") or get_remote_address()))


def limit_security_views(app):
    security_views = app.blueprints["security"]
    limiter.limit(PER_ADDRESS, methods=["POST"])(security_views)
    limiter.limit(PER_ACCOUNT, methods=["POST"], key_func=account_key)(security_views)
