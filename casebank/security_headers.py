"""HTTP security headers for every response: a strict CSP (no inline script or style)."""

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


def never_cache(response):
    """after_request of the blueprints that serve restricted or personal pages."""
    response.headers["Cache-Control"] = "no-store"
    return response


def never_cache_private(response):
    """after_request of Flask-Security's pages (login, 2FA, reset). Its own CACHE_CONTROL
    setting is off: it sets each directive to True, which Werkzeug writes "private=True"."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register_security_headers(app):
    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["HSTS"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
