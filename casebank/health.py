"""GET /healthz: is the database reachable, is the search index readable. GET /readyz: should
a load balancer send this host traffic (the database answers, the index opens and has caught
up with the changes saved, within CASEBANK_READY_MAX_LAG seconds).

Everyone gets the answer (status code and {"status": ...}); the details, which say what the
indexes hold, only the machine itself and admins (permissions.can_read_health_details)."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from casebank.auth import permissions
from casebank.extensions import db
from casebank.models.case_study import utc_now
from casebank.search import feed, index_status

bp = Blueprint("health", __name__)


def database_status():
    try:
        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}
    except Exception as error:  # noqa: BLE001 - reported, not raised: this is the health check
        db.session.rollback()
        return {"status": "error", "error": type(error).__name__}


@bp.get("/healthz")
def healthz():
    database = database_status()
    search = index_status(current_app)
    healthy = database["status"] == "ok" and search["status"] != "error"
    body = {"status": "ok" if healthy else "error"}
    if permissions.can_read_health_details(permissions.current_user()):
        body.update(database=database, index=search)
    return jsonify(body), 200 if healthy else 503


def index_lag_seconds():
    """Seconds since the oldest change this host's index has not applied (0: none)."""
    _count, oldest = feed.pending(db.session, feed.host_id())
    return max((utc_now() - oldest).total_seconds(), 0) if oldest else 0


def readiness():
    """(ready, reason): the first thing that keeps this host from serving, or None."""
    if database_status()["status"] != "ok":
        return False, "database unreachable"
    if index_status(current_app)["status"] != "ok":
        return False, "search index cannot be opened"
    try:
        lag = index_lag_seconds()
        behind = feed.fell_behind(db.session, feed.host_id())
    except Exception:  # noqa: BLE001 - reported: the database went away meanwhile
        db.session.rollback()
        return False, "database unreachable"
    if behind:  # the changes it missed were pruned: only a rebuild brings them
        return False, "search index fell behind the change feed"
    if lag > current_app.config["READY_MAX_LAG"]:
        return False, "search index behind the database"
    return True, None


@bp.get("/readyz")
def readyz():
    ready, reason = readiness()
    if ready:
        return jsonify({"status": "ready"}), 200
    return jsonify({"status": "not ready", "reason": reason}), 503
