"""The JSON API, /api/v1: a module per resource (cases, documents, reference, search), token
authentication in casebank/auth/tokens.py, errors as problem details (problems.py), and the
OpenAPI description generated from the schemas (openapi.py).

Calls with a token need no CSRF token: a change without one is refused before it gets here
(auth/tokens.authenticate_api_request), so a browser's cookie never writes through the API.
"""

from flask import Blueprint, current_app, request

from casebank.client_address import current_client
from casebank.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def token_key():
    from casebank.auth.tokens import current_principal

    principal = current_principal()
    return f"api-token:{principal.token.id}" if principal else current_client()


def no_token():
    from casebank.auth.tokens import current_principal

    return current_principal() is None


# Rate limits (Flask-Limiter; Redis when CASEBANK_REDIS_URL is set): per address always, and
# per token on top, so one partner's script cannot starve others behind the same address.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT_PER_ADDRESS"], key_func=current_client)(bp)
limiter.limit(
    lambda: current_app.config["API_RATE_LIMIT_PER_TOKEN"], key_func=token_key, exempt_when=no_token
)(bp)


@bp.after_request
def caching(response):
    """ETags on every read (If-None-Match answers 304); an answer for a token or a session is
    never kept by a shared cache."""
    if request.method == "GET" and response.status_code == 200 and not response.is_streamed:
        response.add_etag()
        response.make_conditional(request)
    response.vary.update(("Authorization", "Cookie"))
    if "Cache-Control" not in response.headers or request.authorization or request.cookies:
        private = request.authorization is not None or bool(request.cookies)
        response.headers["Cache-Control"] = "private, no-store" if private else "no-cache"
    return response


from casebank.api import cases, documents, openapi, reference, search  # noqa: E402,F401
