"""What access logs may say: request paths without their query strings.

Query strings carry what people type (an officer's search words, filters) and the access log
is neither encrypted nor access-controlled; the audit log keeps a keyed fingerprint instead.
The development server logs through the "werkzeug" logger, filtered here; gunicorn formats its
own access log (config/gunicorn.conf.py: JSON lines with the path atom, never the request line).
"""

import json
import logging
import re
import time

from gunicorn.glogging import Logger

# A path followed by a query, wherever it appears in a log line (request lines, errors). The
# query runs to the next whitespace or end, less a closing quote or punctuation: a quote
# inside it ("d'ivoire", which browsers send unencoded) does not end it.
PATH_AND_QUERY = re.compile(r"(/[^\s?\"']*)\?\S*?(?=[\"',;:)\]]*(?:\s|$))")


def without_query(text):
    return PATH_AND_QUERY.sub(r"\1", text)


class PathOnlyRequestLines(logging.Filter):
    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = without_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(without_query(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_werkzeug_filter():
    """Idempotent: create_app may run several times in one process (tests, CLI)."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, PathOnlyRequestLines) for f in logger.filters):
        logger.addFilter(PathOnlyRequestLines())


class JsonAccessLogger(Logger):
    """gunicorn's logger, whose access lines are JSON: each value is escaped as a JSON string
    before it is put into the format (config/gunicorn.conf.py), so a user agent with quotes or
    line breaks cannot break or forge a line."""

    def now(self):
        """UTC, ISO 8601, like the application log's lines."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: json.dumps(str(value))[1:-1] for key, value in atoms.items()}
