"""gunicorn settings for casebank (the Docker image: `gunicorn -c config/gunicorn.conf.py`).

Read from the environment: GUNICORN_WORKERS (default 2 x CPUs + 1), GUNICORN_BIND
(0.0.0.0:8000), GUNICORN_TIMEOUT (seconds a worker may take on one request, 30),
PROMETHEUS_MULTIPROC_DIR (set it for /metrics to add up every worker's samples).
"""

import os
import shutil
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Each worker imports the app itself: nothing (database pools, index handles) is shared
# across a fork, and the metrics' multiprocess files are opened per worker.
preload_app = False
# The heartbeat file on a RAM disk: a slow or full disk must not get workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = "-"
# One JSON object per request (casebank.access_log.JsonAccessLogger escapes each value).
# The path without its query (U), never the request line (r), the query (q) or the referrer
# (f): they carry what people searched for, and the access log is not encrypted.
logger_class = "casebank.access_log.JsonAccessLogger"
access_log_format = (
    '{"time": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", '
    '"status": "%(s)s", "bytes": "%(b)s", "duration": "%(L)s", "user_agent": "%(a)s", '
    '"request_id": "%({x-request-id}o)s"}'
)


def on_starting(server):
    """Empty the metrics directory: samples of an earlier run's workers would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def post_worker_init(worker):
    """gunicorn's error log names a failed request by its URI ("Error handling request
    /search?q=..."): the same filter as the development server's log keeps the path only."""
    from casebank.access_log import PathOnlyRequestLines

    worker.log.error_log.addFilter(PathOnlyRequestLines())


def child_exit(server, worker):
    """A worker that is gone no longer counts in the live gauges of /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
