"""gunicorn settings for casebank (the Docker image: `gunicorn -c config/gunicorn.py app:app`)."""

bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
# The path without its query (U), never the request line (r), the query (q) or the referrer
# (f): they carry what people searched for, and the access log is not encrypted.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s "%(a)s"'


def post_worker_init(worker):
    """gunicorn's error log names a failed request by its URI ("Error handling request
    /search?q=..."): the same filter as the development server's log keeps the path only."""
    from casebank.access_log import PathOnlyRequestLines

    worker.log.error_log.addFilter(PathOnlyRequestLines())
