"""An index that is missing or cannot be read heals itself: the search that finds it so starts
a rebuild in a background thread of this process (one rebuild at a time across processes: the
rebuild lock), and search answers "unavailable" meanwhile instead of failing. Saves go on: the
database write stands and the outbox keeps the changes for the rebuilt index."""

import logging
import threading
import time

from flask import current_app

from casebank.extensions import db
from casebank.search.outbox import rebuild, search_indexes

log = logging.getLogger(__name__)
HEAL_INTERVAL = 60.0  # seconds between two attempts by one process
_lock = threading.Lock()


def heal(reason):
    """Start rebuilding the live indexes in the background, unless this process tried less than
    HEAL_INTERVAL ago or a rebuild runs already; returns whether it started one."""
    app = current_app._get_current_object()
    if not app.config["SEARCH_SELF_HEAL"]:
        return False
    indexes = search_indexes(app)
    with _lock:
        last = getattr(indexes, "healing_started_at", None)
        if last is not None and time.monotonic() - last < HEAL_INTERVAL:
            return False
        if indexes.rebuild_running():
            return False
        indexes.healing_started_at = time.monotonic()
    log.error("search index unusable (%s): rebuilding it in the background", reason)
    thread = threading.Thread(target=rebuild_in, args=(app,), name="index-heal", daemon=True)
    thread.start()
    indexes.healing_thread = thread
    return True


def rebuild_in(app):
    with app.app_context():
        try:
            report = rebuild()
            log.warning("search index rebuilt after a fault: %s", report["entries"])
        except Exception:  # noqa: BLE001 - a thread's failure is logged; the next search retries
            log.exception("rebuilding the search index after a fault failed")
        finally:
            db.session.remove()
