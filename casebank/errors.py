"""Error answers: a friendly HTML page, or JSON for machine clients (/api/, /healthz)."""

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/healthz")


def wants_json():
    return request.path.startswith(JSON_PREFIXES)


def render_error(error):
    if wants_json():
        return jsonify(error=error.name, message=error.description), error.code
    return render_template("errors/error.html", error=error), error.code


def register_errorhandlers(app):
    app.register_error_handler(HTTPException, render_error)

    @app.errorhandler(Exception)
    def unexpected(error):
        # Never show the exception: its text could carry data the visitor may not see.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError())
