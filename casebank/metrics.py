"""Prometheus metrics at /metrics (prometheus_client): request latency by endpoint name (never
the raw path, which holds references and would grow without bound), search latency, and at
each scrape the search index's size on disk and the backlog of the index outbox.

Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (an empty directory, emptied
at each start: config/gunicorn.conf.py does): each worker then writes its samples there and a
scrape adds them up. Who may read it: permissions.can_read_metrics (loopback, or the bearer
token of CASEBANK_METRICS_TOKEN); anyone else gets 404.
"""

import os
import time
from contextlib import contextmanager
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from casebank.extensions import db
from casebank.models.case_study import utc_now

bp = Blueprint("metrics", __name__)

REQUEST_LATENCY = Histogram(
    "casebank_request_duration_seconds",
    "Time to answer a request, by endpoint name and method.",
    ["endpoint", "method"],
)
SEARCH_LATENCY = Histogram(
    "casebank_search_duration_seconds",
    "Time to run a search against the index, by audience (public or restricted).",
    ["audience"],
)


@contextmanager
def timed_search(audience):
    started = time.perf_counter()
    try:
        yield
    finally:
        SEARCH_LATENCY.labels(audience).observe(time.perf_counter() - started)


def start_timer():
    g.request_started = time.perf_counter()


# HTTP's own methods; a request may name any token as its method, and each would be a series.
KNOWN_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT")
)


def method_label(method):
    return method if method in KNOWN_METHODS else "other"


def observe_request(response):
    started = g.pop("request_started", None)
    if started is not None:
        endpoint = request.endpoint or "unmatched"  # a 404 has no endpoint: one label for all
        method = method_label(request.method)
        REQUEST_LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)
    return response


def register_metrics(app):
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(observe_request)


def directory_size(path):
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


class StateCollector:
    """What a scrape reads from the database and the disk, as they are now."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        index_dir = self.app.config["INDEX_DIR"]
        size = directory_size(index_dir) if Path(index_dir).is_dir() else 0
        yield GaugeMetricFamily(
            "casebank_search_index_bytes", "Size of the search index directory.", value=size
        )
        from casebank.search import feed  # search imports this module (its timer)

        pending, oldest = feed.pending(db.session, feed.host_id(self.app))
        yield GaugeMetricFamily(
            "casebank_index_outbox_pending",
            "Changes saved but not yet in this host's search index (change feed rows).",
            value=pending,
        )
        lag = (utc_now() - oldest).total_seconds() if oldest else 0
        yield GaugeMetricFamily(
            "casebank_index_outbox_lag_seconds",
            "Age of the oldest change not yet in the search index.",
            value=max(lag, 0),
        )


def exposition():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    state = CollectorRegistry()
    state.register(StateCollector(current_app._get_current_object()))
    return generate_latest(registry) + generate_latest(state)


@bp.get("/metrics")
def metrics():
    response = Response(exposition(), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
