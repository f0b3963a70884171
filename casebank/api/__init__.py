"""The JSON API, /api/v1. Errors answer JSON (casebank.errors)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from casebank.api import views  # noqa: E402,F401 - registers the routes on bp
