"""The application log: one line per event on standard error, UTC timestamps, and control
characters escaped so that a value a visitor typed cannot forge or split a line
(ASVS 5.0 16.2.1, 16.2.2, 16.4.1). The audit log (services/audit.py) is separate.

CASEBANK_LOG_FORMAT=json (the default outside development) writes each line as one JSON object
with the request id of the request it belongs to; every response carries that id in
X-Request-ID. An id sent by the client is kept only behind trusted proxies
(CASEBANK_PROXY_COUNT > 0, the proxy sets it) and only when well formed; else a new one."""

import json
import logging
import re
import sys
import time
import uuid

from flask import g, has_request_context, request

from casebank.access_log import without_query

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text):
    return CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class OneLineFormatter(logging.Formatter):
    """UTC ISO 8601 time; the message on one line (a traceback, when there is one, follows
    on lines of its own, as Python prints it)."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self):
        super().__init__(LINE_FORMAT)

    def formatMessage(self, record):
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id may look like (a UUID, nginx's $request_id, a trace id): short, plain.
WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id():
    """This request's id, or "-" outside a request."""
    if not has_request_context():
        return "-"
    return g.get("request_id", "-")


def assign_request_id():
    """before_request: keep a trusted proxy's well-formed id, else make one."""
    from flask import current_app

    sent = request.headers.get(REQUEST_ID_HEADER, "")
    trusted = current_app.config["PROXY_COUNT"] > 0 and WELL_FORMED_ID.fullmatch(sent)
    g.request_id = sent if trusted else uuid.uuid4().hex


def echo_request_id(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, process, request id, message, and
    the traceback as a field. Paths in messages lose their query strings (search words)."""

    converter = time.gmtime
    default_time_format = OneLineFormatter.default_time_format
    default_msec_format = OneLineFormatter.default_msec_format

    def format(self, record):
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "process": record.process,
            "request_id": request_id(),
            "message": without_query(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True)


FORMATTERS = {"text": OneLineFormatter, "json": JsonFormatter}


def register_request_ids(app):
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)
    app.after_request(echo_request_id)


def register_logging(app):
    """Request ids always; outside tests (pytest captures logs itself), casebank's INFO lines
    go to stderr in the configured format."""
    register_request_ids(app)
    if app.testing:
        return
    root = logging.getLogger()
    formatter = FORMATTERS[app.config["LOG_FORMAT"]]
    ours = [h for h in root.handlers if isinstance(h.formatter, tuple(FORMATTERS.values()))]
    if ours:
        ours[0].setFormatter(formatter())
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(formatter())
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # Alembic lists every plugin it sets up at INFO on each command; that says nothing.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
