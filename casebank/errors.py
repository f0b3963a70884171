"""Error answers: a friendly HTML page, or JSON for machine clients (/api/, /healthz)."""

import logging

from flask import current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/healthz")


def wants_json():
    return request.path.startswith(JSON_PREFIXES)


def render_error(error):
    if wants_json():
        return jsonify(error=error.name, message=error.description), error.code
    return render_template("errors/error.html", error=error), error.code


def too_large(error):
    limit = current_app.config["UPLOAD_MAX_BYTES"] // 2**20
    return render_error(
        RequestEntityTooLarge(
            f"The upload is larger than the limit of {limit} MiB, so it was not read. "
            "Go back and choose a smaller file."
        )
    )


def register_errorhandlers(app):
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(RequestEntityTooLarge, too_large)

    @app.errorhandler(Exception)
    def unexpected(error):
        # Never show the exception: its text could carry data the visitor may not see.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError())
