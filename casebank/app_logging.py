"""The application log: one line per event on standard error, UTC timestamps, and control
characters escaped so that a value a visitor typed cannot forge or split a line
(ASVS 5.0 16.2.1, 16.2.2, 16.4.1). The audit log (services/audit.py) is separate."""

import logging
import re
import sys
import time

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


def register_logging(app):
    """Outside tests (pytest captures logs itself), casebank's INFO lines go to stderr."""
    if app.testing:
        return
    root = logging.getLogger()
    if not any(isinstance(h.formatter, OneLineFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter())
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    # Alembic lists every plugin it sets up at INFO on each command; that says nothing.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
