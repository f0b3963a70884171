"""What access logs may say: request paths without their query strings.

Query strings carry what people type (an officer's search words, filters) and the access log
is neither encrypted nor access-controlled; the audit log keeps a keyed fingerprint instead.
The development server logs through the "werkzeug" logger, filtered here; gunicorn formats its
own access log (config/gunicorn.py uses the path atom, never the request line).
"""

import logging
import re

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
