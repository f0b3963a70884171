"""Error answers: a friendly HTML page, or JSON for machine clients (/healthz; /api/ answers
RFC 9457 problem details, casebank/api/problems.py).
A database that stays busy (locked by another writer, unreachable), or a session store (Redis)
that does not answer, answers 503, not 500."""

import logging
import sqlite3

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    RequestEntityTooLarge,
    ServiceUnavailable,
)

from casebank.api import problems
from casebank.auth.enrolment import checked_destination

log = logging.getLogger(__name__)
JSON_PREFIXES = ("/api/", "/healthz")


def wants_json():
    return request.path.startswith(JSON_PREFIXES)


# Each error page's title and explanation in the reader's language (Werkzeug's are English).
ERROR_PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    401: (_l("Log in needed"), _l("Log in to see this page.")),
    403: (_l("Not allowed"), _l("You are not allowed to do this.")),
    404: (_l("Page not found"),
          _l("There is no page at this address, or it is not available to you.")),
    405: (_l("Not allowed"), _l("This address does not take that kind of request.")),
    410: (_l("Gone"), _l("What was at this address has been removed.")),
    413: (_l("Too large"), _l("What you sent is larger than the site accepts.")),
    414: (_l("Address too long"), _l("The address is too long. Shorten it and try again.")),
    415: (_l("Type not accepted"), _l("The site does not accept that type of content.")),
    429: (_l("Too many requests"),
          _l("You sent too many requests in a short time. Wait a moment and try again.")),
    500: (_l("Something went wrong"),
          _l("The server could not complete your request. Please try again later.")),
    503: (_l("Busy"), _l("The case bank is busy; try again in a moment.")),
}  # fmt: skip
# Our own words whatever the description says: a 404 must not tell a hidden page from a
# missing one, a limiter's description is its rule, a server error's could carry data.
OWN_WORDS_ONLY = (404, 429)


def page_text(error):
    """(title, explanation) of an error page, in the reader's language. A description a view
    gave (translated where it was written) is shown; Werkzeug's defaults are replaced."""
    title, explanation = ERROR_PAGES.get(error.code, (error.name, error.description))
    if isinstance(error, CSRFError):
        explanation = _(
            "The form was open too long, or was sent from another page. Go back, reload "
            "the page and send it again."
        )
    elif error.code in OWN_WORDS_ONLY or (error.code >= 500 and error.code != 503):
        pass
    elif error.description and error.description != type(error).description:
        explanation = error.description
    return str(title), str(explanation)


def is_api():
    return request.path.startswith("/api/")


def render_error(error):
    if is_api():
        return problems.from_http_exception(error)
    if wants_json():
        return jsonify(error=error.name, message=error.description), error.code
    title, explanation = page_text(error)
    page = render_template("errors/error.html", error=error, title=title, explanation=explanation)
    return page, error.code


def too_large(error):
    limit = current_app.config["UPLOAD_MAX_BYTES"] // 2**20
    return render_error(
        RequestEntityTooLarge(
            _(
                "The upload is larger than the limit of %(limit)s MiB, so it was not read. "
                "Go back and choose a smaller file.",
                limit=limit,
            )
        )
    )


# SQLite's words for "another connection holds the lock" (its other errors are our bugs).
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
RETRY_AFTER_SECONDS = 5


def database_is_busy(error):
    """Locked by another writer past the busy timeout, or the server unreachable or overloaded
    (the database, or Redis where sessions live): worth trying again in a moment."""
    if isinstance(error, PoolTimeout | RedisError):
        return True  # Redis unreachable, or refusing (a failover, out of memory): busy too
    if not isinstance(error, OperationalError):
        return False
    if isinstance(error.orig, sqlite3.OperationalError):
        return str(error.orig).startswith(SQLITE_BUSY)
    # psycopg: lock and statement timeouts, deadlocks, refused or dropped connections, a
    # server shutting down or out of resources are all OperationalError.
    return True


def busy():
    log.warning("database busy on %s %s: answered 503", request.method, request.path)
    message = str(ERROR_PAGES[ServiceUnavailable.code][1])
    retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if is_api():
        body = problems.problem_response(ServiceUnavailable.code, message)
    elif wants_json():
        body = jsonify(error="Service Unavailable", message=message)
    else:
        # Straight from Jinja: the context processors would load the session and the user,
        # from the database that is busy.
        # "Try again" is this page's path, unless the path itself reads as another host
        # (/%5Cevil.example/ arrives as /\evil.example/, which a browser follows off-site).
        again = checked_destination(request.path) or url_for("public.home")
        page = current_app.jinja_env.get_template("errors/busy.html")
        body = page.render(message=message, path=again)
    return body, ServiceUnavailable.code, retry


def database_busy(error):
    if database_is_busy(error):
        return busy()
    return unexpected(error)


def value_refused(error):
    """The database refused a value the checks let through (PostgreSQL: a NUL character, a
    number out of a column's range): the visitor's input, not a fault of the server."""
    log.warning("database refused a value on %s %s: %s", request.method, request.path,
                type(error.orig).__name__)  # fmt: skip
    return render_error(
        BadRequest(
            _(
                "A value you sent cannot be stored (an invisible control character, or a "
                "number far too large). Go back, correct it and try again."
            )
        )
    )


def server_error(error):
    """An exception outside the view (an after_request commit) reaches Flask's handlers as
    InternalServerError, the exception inside."""
    if database_is_busy(error.original_exception):
        return busy()
    if isinstance(error.original_exception, DataError):
        return value_refused(error.original_exception)
    return render_error(error)


def unexpected(error):
    # Never show the exception: its text could carry data the visitor may not see.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError())


def register_errorhandlers(app):
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(RequestEntityTooLarge, too_large)
    app.register_error_handler(InternalServerError, server_error)
    app.register_error_handler(OperationalError, database_busy)
    app.register_error_handler(PoolTimeout, database_busy)
    app.register_error_handler(RedisError, database_busy)
    app.register_error_handler(DataError, value_refused)
    app.register_error_handler(Exception, unexpected)
