"""Personal access tokens for the JSON API: creating, listing, revoking, and authenticating a
request that carries one (Authorization: Bearer ...).

A token is shown once; only its HMAC-SHA256 under a key derived from SECRET_KEY is stored, so a
copy of the database opens nothing. A new password revokes every token of the account. Every
use re-checks the account: a revoked or expired token, or a deactivated account, opens nothing;
a scope the user's roles no longer allow (an officer whose vetting lapsed, a partner who left
the organisation) is dropped at that moment.

A token request acts as a TokenPrincipal: the user, seen through the token's scopes, so the
predicates of casebank/auth/permissions.py apply to it unchanged.
"""

import hmac
import logging
import secrets
from datetime import date, datetime, time, timedelta

from flask import current_app, g, request
from flask_babel import gettext, lazy_gettext
from flask_security import password_changed, password_reset
from limits import parse
from sqlalchemy import select
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import TooManyRequests, Unauthorized

from casebank.auth import permissions, rate_limits
from casebank.auth.audit_trail import audit_request
from casebank.auth.security import derived_secret
from casebank.client_address import current_client
from casebank.extensions import db
from casebank.models import ApiToken
from casebank.models.case_study import utc_now
from casebank.models.vocab import RoleName

log = logging.getLogger(__name__)

READ, RESTRICTED, SUBMIT, REVIEW = "read", "restricted", "submit", "review"
SCOPES = {
    READ: lazy_gettext(
        "Read the API as yourself (a partner: your organisation's case studies too)"
    ),
    RESTRICTED: lazy_gettext("Restricted case studies, fields and documents (vetted officers)"),
    SUBMIT: lazy_gettext("Create, edit, submit and withdraw your organisation's case studies"),
    REVIEW: lazy_gettext("Review case studies: ask for changes, publish, reject (editors)"),
}
# Which scope opens which role's powers to a token (a partner's: read or submit).
ROLE_SCOPES = {RoleName.OFFICER: RESTRICTED, RoleName.EDITOR: REVIEW, RoleName.ADMIN: REVIEW}
TOKEN_PREFIX = "cbk_"  # noqa: S105 - a marker that says what the string is, not a secret
LONGEST_LIFETIME_DAYS = 365
LONGEST_NAME = 100
LAST_USE_INTERVAL = timedelta(minutes=1)  # last_used_at is written at most this often
# Wrong tokens from one client: past this, 429 instead of 401 (a token has 256 random bits;
# this slows a misconfigured script down; a right token from the same address still works).
FAILURES_PER_CLIENT = parse("20/minute")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenInvalid(Exception):
    """errors maps a field of the token form to its messages."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def scopes_allowed(user):
    """The scopes this user's roles allow now, in SCOPES order (permissions.py's rule)."""
    allowed = permissions.token_scopes_allowed(user)
    return [scope for scope in SCOPES if scope in allowed]


def token_hash(secret):
    key = derived_secret(current_app.config["SECRET_KEY"].encode(), "api-token")
    return hmac.new(key, secret.encode(), "sha256").hexdigest()


def create_token(user, name, scopes, expires_on, today=None, actor=None):
    """A new token for user; returns (ApiToken, secret), the secret for showing once. Flushes.
    Raises TokenInvalid with the form's errors. actor: who made it, when not user themselves
    (the command line's audit.SYSTEM)."""
    today = today or date.today()
    name = (name or "").strip()
    errors = {}
    if not 1 <= len(name) <= LONGEST_NAME:
        message = gettext("Give the token a name of 1 to %(n)s characters.", n=LONGEST_NAME)
        errors["name"] = [message]
    allowed = scopes_allowed(user)
    if not scopes:
        errors["scopes"] = [gettext("Choose at least one scope.")]
    elif any(scope not in allowed for scope in scopes):
        errors["scopes"] = [
            gettext("Your account may give a token these scopes only: %(scopes)s.",
                    scopes=", ".join(allowed))
        ]  # fmt: skip
    latest = today + timedelta(days=LONGEST_LIFETIME_DAYS)
    if not isinstance(expires_on, date) or not today < expires_on <= latest:
        errors["expires_on"] = [
            gettext("Choose an expiry after today and at most a year away (%(latest)s).",
                    latest=latest.isoformat())
        ]  # fmt: skip
    if errors:
        raise TokenInvalid(errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_hash(secret),
        prefix=secret[:12],
        scopes=[scope for scope in SCOPES if scope in scopes],
        expires_at=datetime.combine(expires_on, time.max.replace(microsecond=0)),
    )
    db.session.add(token)
    db.session.flush()
    audit_request("api_token.created", target=token, actor=actor or user, name=name,
                  scopes=token.scopes)  # fmt: skip
    log.info("API token %s created for user %s by %s", token.id, user.id, actor or "them")
    return token, secret


def tokens_of(user):
    """The user's tokens that still work or were revoked or expired lately, newest first."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(db.session.scalars(query))


def revoke_tokens_of(user, reason):
    """Revoke every live token of the user; returns how many. A new password (changed, or reset
    through the mailed link) revokes them: whoever knew the old one may have made a token."""
    live = tokens_of(user)
    now = utc_now()
    for token in live:
        token.revoked_at = now
        audit_request("api_token.revoked", target=token, actor=user, name=token.name,
                      reason=reason)  # fmt: skip
    db.session.flush()
    if live:
        log.info("%s API tokens of user %s revoked: %s", len(live), user.id, reason)
    return len(live)


def revoke_on_new_password(sender, user, **extra):
    """password_changed / password_reset signal receiver."""
    revoke_tokens_of(user, "new password")


def register_tokens(app):
    app.before_request(authenticate_api_request)  # an API token, before the access rules
    password_changed.connect(revoke_on_new_password, app, weak=False)
    password_reset.connect(revoke_on_new_password, app, weak=False)


def revoke_token(user, token_id):
    """Revoke one of the user's own tokens; False when it is not theirs (or not a token)."""
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utc_now()
    db.session.flush()
    audit_request("api_token.revoked", target=token, actor=user, name=token.name)
    log.info("API token %s revoked by user %s", token.id, user.id)
    return True


class TokenPrincipal:
    """The user of a token request, with the powers its scopes open and no others. Stands in
    for the user everywhere (services read .id, .partner_id, .email), so permissions.py's
    predicates judge it like any user."""

    authenticated_by_token = True

    def __init__(self, user, token, scopes, writing=False):
        self.account, self.token, self.scopes = user, token, frozenset(scopes)
        self.writing = writing  # a change (POST, PUT...): a partner's role then needs submit

    def __getattr__(self, name):
        return getattr(self.account, name)

    def has_scope(self, scope):
        return scope in self.scopes

    def has_role(self, role):
        # A partner reads with read or submit and writes with submit; other roles need their
        # own scope.
        if role == RoleName.PARTNER:
            needs = {SUBMIT} if self.writing else {READ, SUBMIT}
        else:
            needs = {ROLE_SCOPES.get(role)}
        return bool(needs & self.scopes) and self.account.has_role(role)

    def has_restricted_access(self, today=None):
        return RESTRICTED in self.scopes and self.account.has_restricted_access(today)

    def __repr__(self):
        return f"<TokenPrincipal user {self.account.id} token {self.token.id}>"


def principal_for(secret, writing=False, now=None):
    """The TokenPrincipal of a presented secret, or None when it opens nothing."""
    now = now or utc_now()
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).filter_by(token_hash=token_hash(secret)))
    if token is None or token.revoked_at is not None or token.expires_at < now:
        return None
    user = token.user
    if not user.active:
        return None
    # The scopes the account still allows, judged now: vetting lapses, roles change.
    scopes = [scope for scope in token.scopes if scope in scopes_allowed(user)]
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_INTERVAL:
        token.last_used_at = now
        db.session.flush()
    return TokenPrincipal(user, token, scopes, writing)


def bearer_secret():
    """The token of an 'Authorization: Bearer <token>' header, '' when the header says
    something else, None when there is no header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    kind, _, secret = header.partition(" ")
    return secret.strip() if kind.lower() == "bearer" else ""


def unauthorized(description, error="invalid_token"):
    """401 with the challenge RFC 6750 describes (no error code when no token was sent)."""
    challenge = WWWAuthenticate(
        "bearer", {"realm": "casebank API", **({"error": error} if error else {})}
    )
    return Unauthorized(description, www_authenticate=challenge)


def authenticate_api_request():
    """before_request on /api/: a bearer token makes the request its principal (a session
    cookie sent along is ignored); a change without a token is refused, so a cookie alone
    never writes through the API (which takes no CSRF token)."""
    if not request.path.startswith("/api/"):
        return
    secret = bearer_secret()
    if secret is None:
        if request.method not in SAFE_METHODS:
            raise unauthorized("Changes through the API need a personal access token.", None)
        return
    principal = principal_for(secret, writing=request.method not in SAFE_METHODS)
    if principal is None:
        log.warning("API request %s %s with a token that opens nothing", request.method,
                    request.path)  # fmt: skip
        if not rate_limits.hit(FAILURES_PER_CLIENT, "api-token-failure", current_client()):
            raise TooManyRequests("Too many wrong tokens from this address; wait a minute.")
        raise unauthorized("The token is not valid: unknown, revoked or expired.")
    g.api_principal = principal
    current_app.login_manager._update_request_context_with_user(principal)


def current_principal():
    """The token principal of this request, or None (anonymous, or a session cookie)."""
    return g.get("api_principal")
