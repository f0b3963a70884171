"""The public catalogue: pages for anonymous visitors."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from casebank.public import feedback, views  # noqa: E402,F401 - registers the routes on bp
