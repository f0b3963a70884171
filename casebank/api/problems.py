"""Errors of the JSON API as RFC 9457 problem details (application/problem+json), with the
messages of each invalid field under "errors"."""

from flask import jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

MEDIA_TYPE = "application/problem+json"


class Problem(HTTPException):
    """An API error raised from a view: a status, a title, a detail and per-field errors."""

    def __init__(self, status, detail=None, errors=None, headers=None):
        super().__init__(detail)
        self.code = status
        self.errors = errors
        self.extra_headers = headers or {}

    @property
    def name(self):
        return HTTP_STATUS_CODES.get(self.code, "Error")


def problem_response(status, detail=None, errors=None, headers=None):
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
            "status": status}  # fmt: skip
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    response.headers.update(headers or {})
    return response


def from_http_exception(error):
    """Any HTTPException (Werkzeug's, or a Problem) as problem details, keeping the headers it
    carries (WWW-Authenticate, Allow, Retry-After)."""
    headers = {
        k: v for k, v in error.get_headers() if k.lower() not in ("content-type", "content-length")
    }
    headers.update(getattr(error, "extra_headers", {}))
    return problem_response(
        error.code or 500, error.description, getattr(error, "errors", None), headers
    )


def invalid(errors, detail="The request has invalid fields; see errors."):
    """422 with the messages of each field: {field: [message, ...]}."""
    return Problem(422, detail, errors)
