"""Access logs carry paths without query strings: officers' search words stay out of them
(the audit log keeps only a keyed fingerprint), in the development server and under gunicorn."""

import importlib.util
import logging
import threading
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from casebank.access_log import PathOnlyRequestLines

ROOT = Path(__file__).resolve().parent.parent
WORDS = "pangolin scales Mombasa"
QUERY = "q=pangolin+scales+Mombasa&country=KE"


def carries_words(records):
    return [r.getMessage() for r in records if "pangolin" in r.getMessage().lower()]


@pytest.fixture
def werkzeug_records(app):
    """Records of the "werkzeug" logger, with the filters create_app installed."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.mark.no_db
def test_the_development_server_logs_the_path_without_the_query(app, werkzeug_records):
    server = make_server("127.0.0.1", 0, app)  # what `flask run` serves with
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.port}/static/css/site.css?{QUERY}"
        with urllib.request.urlopen(url) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        thread.join()
    lines = [r.getMessage() for r in werkzeug_records]
    assert any("GET /static/css/site.css HTTP/1.1" in line for line in lines), lines
    assert not carries_words(werkzeug_records)


def test_an_officers_search_leaves_no_words_in_any_log(auth, client, caplog):
    auth.login("officer")
    with caplog.at_level(logging.DEBUG):
        response = client.get(f"/search?{QUERY}")
        assert response.status_code == 200
    assert not carries_words(caplog.records)


def test_a_database_error_logs_its_statement_without_the_values(auth, client, caplog, monkeypatch):
    """An error's log entry (traceback included) names the failed SQL, never its parameters:
    they hold what people typed (filters, search words, addresses) or restricted text."""
    from sqlalchemy import text

    from casebank.extensions import db
    from casebank.services import catalogue

    def failing_filters(args):
        db.session.execute(text("SELECT no_such_function(:words)"), {"words": args["q"]})

    monkeypatch.setattr(catalogue.CaseFilters, "from_args", staticmethod(failing_filters))
    with caplog.at_level(logging.DEBUG):
        assert client.get(f"/cases?{QUERY}").status_code == 500
    assert "no_such_function" in caplog.text  # the error is logged, with its statement
    assert "pangolin" not in caplog.text.lower()


def test_the_filter_strips_queries_from_a_werkzeug_request_record():
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1,
        '127.0.0.1 - - [02/Dec/2026 18:00:00] "%s" %s %s',
        (f"GET /restricted/cases?{QUERY} HTTP/1.1", "200", "-"), None,
    )  # fmt: skip
    assert PathOnlyRequestLines().filter(record)
    assert record.getMessage().endswith('"GET /restricted/cases HTTP/1.1" 200 -')


@pytest.mark.parametrize(
    "request_line",
    [
        "GET /search?q=d'ivoire+pangolin HTTP/1.1",  # browsers leave ' unencoded in a query
        'GET /search?q=a"pangolin HTTP/1.1',  # curl sends what it is given
        "GET /search?q=pangolin HTTP/1.1",
    ],
)
def test_the_filter_strips_a_query_holding_quotes(request_line):
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s %s', (request_line, "200", "-"), None
    )
    assert PathOnlyRequestLines().filter(record)
    assert record.getMessage() == '"GET /search HTTP/1.1" 200 -'


def test_the_filter_strips_a_query_quoted_in_a_message():
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, "bad request '/search?q=pangolin': %s",
        ("'/cases?country=KE', \"/search?q=pangolin\"",), None,
    )  # fmt: skip
    assert PathOnlyRequestLines().filter(record)
    assert record.getMessage() == "bad request '/search': '/cases', \"/search\""


def load_gunicorn_config():
    path = ROOT / "config/gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_config", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_logs_paths_without_queries_or_referrers():
    access_format = load_gunicorn_config().access_log_format
    assert "%(U)s" in access_format
    # r: the request line, q: the query string, f: the referrer (a search page's URL).
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({referer}i)s", "%({Referer}i)s"):
        assert atom not in access_format


def test_gunicorn_formats_a_search_request_without_its_words():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    config = Config()
    for name, value in vars(load_gunicorn_config()).items():
        if name in config.settings:
            config.set(name, value)
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"/search?{QUERY}", "PATH_INFO": "/search",
        "QUERY_STRING": QUERY, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "198.51.100.7",
        "HTTP_REFERER": f"http://casebank.example.org/search?{QUERY}",
    }  # fmt: skip

    class Response:
        status, headers, sent, response_length = "200 OK", [], 10, 10

    class Request:
        headers = [("REFERER", environ["HTTP_REFERER"])]

    from datetime import timedelta

    # As gunicorn formats it: atoms it lacks (a response header) read "-".
    atoms = logger.atoms_wrapper_class(logger.atoms(Response(), Request(), environ, timedelta(0)))
    line = config.access_log_format % atoms
    assert "/search" in line
    assert "pangolin" not in line.lower()


def test_gunicorn_error_lines_name_the_path_without_the_query():
    """A request that fails outside Flask is logged by gunicorn with its URI."""
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    worker = SimpleNamespace(log=Logger(Config()))
    load_gunicorn_config().post_worker_init(worker)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    worker.log.error_log.addHandler(handler)
    worker.log.error_log.propagate = False
    worker.log.error("Error handling request %s %s", "GET", f"/search?{QUERY}")
    assert records and records[0].getMessage() == "Error handling request GET /search"


def test_the_docker_image_runs_gunicorn_with_that_config():
    assert "gunicorn -c config/gunicorn.conf.py" in (ROOT / "Dockerfile").read_text()
