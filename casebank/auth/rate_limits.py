"""Rate limits on everything that checks a credential: per address, and per account at an
address (a limit per account alone would let anyone who knows an address shut its owner out).
Failed logins are counted and locked in the database as well (casebank/auth/lockout.py).

Flask-Limiter keeps counts in memory by default and in Redis when CASEBANK_REDIS_URL is set
(required with several workers, or each worker counts alone).
"""

import logging

from flask import request, session
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from casebank.client_address import current_client
from casebank.extensions import limiter

log = logging.getLogger(__name__)
# Counts of hand-checked limits while Redis does not answer (per process, like the extension's).
fallback = MovingWindowRateLimiter(MemoryStorage())
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


def hit(limit, *identifiers):
    """Count one event against a limit checked by hand; False past it. Redis down: counted in
    this process's memory (where Flask-Limiter's own limits fall back too)."""
    try:
        return limiter.limiter.hit(limit, *identifiers)
    except RedisError:
        log.warning("rate-limit storage unreachable: %s counted in this process", identifiers[0])
        return fallback.hit(limit, *identifiers)
