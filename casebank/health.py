"""GET /healthz: is the database reachable, is the search index readable.

Everyone gets the answer (status code and {"status": ...}); the details, which say what the
indexes hold, only the machine itself and admins (permissions.can_read_health_details)."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from casebank.auth import permissions
from casebank.extensions import db
from casebank.search import index_status

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
