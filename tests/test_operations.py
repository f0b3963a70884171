"""Operations: /readyz for load balancers, /metrics for Prometheus (loopback or a token,
else 404), request ids in responses and JSON logs, gunicorn's JSON access lines."""

import importlib.util
import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from casebank import health
from casebank.app_logging import JsonFormatter
from casebank.extensions import db
from casebank.models.case_study import utc_now
from casebank.models.index_outbox import IndexOutbox
from casebank.search import feed
from config import ConfigError, ProductionConfig, load_config

ROOT = Path(__file__).resolve().parent.parent
STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


# /readyz
def test_ready_when_the_database_answers_and_the_index_is_caught_up(client):
    response = client.get("/readyz", environ_overrides=STRANGER)
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}


def test_not_ready_when_the_index_lags_behind(app, client):
    db.session.add(IndexOutbox(case_study_id=1, queued_at=utc_now() - timedelta(seconds=31)))
    db.session.flush()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "not ready", "reason": "search index behind the database"
    }  # fmt: skip


def test_a_recent_change_not_yet_indexed_is_within_the_bound(client):
    db.session.add(IndexOutbox(case_study_id=1, queued_at=utc_now() - timedelta(seconds=5)))
    db.session.flush()
    assert client.get("/readyz").status_code == 200


def test_the_bound_is_a_setting(app, client, monkeypatch):
    db.session.add(IndexOutbox(case_study_id=1, queued_at=utc_now() - timedelta(seconds=5)))
    db.session.flush()
    monkeypatch.setitem(app.config, "READY_MAX_LAG", 2)
    assert client.get("/readyz").status_code == 503


def test_not_ready_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down at 10.0.0.5 password=x"))

    monkeypatch.setattr(health.db.session, "execute", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "reason": "database unreachable"}


def test_not_ready_when_the_index_cannot_be_opened(client, monkeypatch):
    monkeypatch.setattr(health, "index_status", lambda app=None: {"status": "missing"})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "search index cannot be opened"


# /metrics
def sample(name, labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_metrics_count_requests_by_endpoint_name_not_path(client, db):
    labels = {"endpoint": "public.case_detail", "method": "GET"}
    before = sample("casebank_request_duration_seconds_count", labels)
    reference = client.get("/cases").data  # any public case page
    assert client.get("/cases/not-a-case").status_code == 404
    assert sample("casebank_request_duration_seconds_count", labels) == before + 1
    body = client.get("/metrics").data.decode()
    assert 'endpoint="public.case_detail"' in body
    assert "not-a-case" not in body and reference


def test_metrics_report_search_latency_index_size_and_backlog(client):
    before = sample("casebank_search_duration_seconds_count", {"audience": "public"})
    client.get("/search?q=ivory")
    assert sample("casebank_search_duration_seconds_count", {"audience": "public"}) == before + 1
    waiting = feed.backlog(db.session, feed.host_id())
    db.session.add(IndexOutbox(case_study_id=1, queued_at=utc_now() - timedelta(seconds=60)))
    db.session.flush()
    lines = dict(
        line.rsplit(" ", 1)
        for line in client.get("/metrics").data.decode().splitlines()
        if line and not line.startswith("#")
    )
    assert float(lines["casebank_search_index_bytes"]) > 0
    assert float(lines["casebank_index_outbox_pending"]) == waiting + 1
    assert float(lines["casebank_index_outbox_lag_seconds"]) >= 60


def test_metrics_are_404_from_elsewhere_without_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token-for-scrapes")
    assert client.get("/metrics", environ_overrides=STRANGER).status_code == 404
    wrong = {"Authorization": "Bearer not-it"}
    assert client.get("/metrics", headers=wrong, environ_overrides=STRANGER).status_code == 404
    right = {"Authorization": "Bearer s3cret-token-for-scrapes"}
    assert client.get("/metrics", headers=right, environ_overrides=STRANGER).status_code == 200


def test_without_a_token_setting_no_bearer_opens_metrics(client):
    empty = {"Authorization": "Bearer "}
    assert client.get("/metrics", headers=empty, environ_overrides=STRANGER).status_code == 404


def test_a_proxied_request_from_loopback_needs_the_token(client):
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics", headers=proxied).status_code == 404


def test_an_officer_elsewhere_cannot_read_metrics(client, auth):
    client.environ_base["REMOTE_ADDR"] = STRANGER["REMOTE_ADDR"]
    auth.login("officer")
    assert client.get("/metrics").status_code == 404


# Request ids and JSON logs
def test_every_response_carries_a_new_request_id(client):
    first, second = (client.get("/about").headers["X-Request-ID"] for _ in range(2))
    assert len(first) == 32 and first != second


def test_a_client_cannot_choose_its_request_id_without_a_trusted_proxy(client):
    response = client.get("/about", headers={"X-Request-ID": "chosen-by-client-123"})
    assert response.headers["X-Request-ID"] != "chosen-by-client-123"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("proxy-id-0123456789", True),
        ("a b <forged> id", False),
        ("short", False),
        ("x" * 200, False),
    ],
)
def test_a_trusted_proxy_id_is_kept_when_well_formed(app, client, monkeypatch, sent, kept):
    monkeypatch.setitem(app.config, "PROXY_COUNT", 1)
    response = client.get("/about", headers={"X-Request-ID": sent})
    assert (response.headers["X-Request-ID"] == sent) is kept


def test_json_log_lines_carry_the_request_id_and_no_query(app):
    formatter = JsonFormatter()
    with app.test_request_context("/search?q=pangolin"):
        from flask import g

        g.request_id = "abc123def456"
        entry = logging.LogRecord(
            "casebank.test", logging.WARNING, __file__, 1, "slow %s\nforged", ("/search?q=x",), None
        )
        line = formatter.format(entry)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["request_id"] == "abc123def456" and parsed["level"] == "WARNING"
    assert parsed["message"] == "slow /search\nforged"
    assert parsed["time"].endswith("Z")


def test_the_log_format_is_checked_at_start():
    assert ProductionConfig.LOG_FORMAT_DEFAULT == "json"
    assert load_config("development", {}).LOG_FORMAT == "text"
    assert load_config("development", {"CASEBANK_LOG_FORMAT": "JSON"}).LOG_FORMAT == "json"
    with pytest.raises(ConfigError, match="CASEBANK_LOG_FORMAT"):
        load_config("development", {"CASEBANK_LOG_FORMAT": "xml"})


# gunicorn
def gunicorn_settings(environ, monkeypatch):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "config/gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_reads_workers_and_timeout_from_the_environment(monkeypatch):
    settings = gunicorn_settings({"GUNICORN_WORKERS": "5", "GUNICORN_TIMEOUT": "45"}, monkeypatch)
    assert (settings.workers, settings.timeout, settings.preload_app) == (5, 45, False)


def test_gunicorn_access_lines_are_json_even_with_quotes_in_a_header(monkeypatch):
    from gunicorn.config import Config

    from casebank.access_log import JsonAccessLogger

    settings = gunicorn_settings({}, monkeypatch)
    config = Config()
    config.set("access_log_format", settings.access_log_format)
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/search?q=pangolin", "PATH_INFO": "/search",
        "QUERY_STRING": "q=pangolin", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "198.51.100.7",
        "HTTP_USER_AGENT": 'evil" , "status": "999\n',
    }  # fmt: skip

    class Response:
        status, sent = "200 OK", 10
        headers = [("X-Request-ID", "abc123def456")]

    class Request:
        headers = []

    atoms = JsonAccessLogger(config).atoms(Response(), Request(), environ, timedelta(0))
    line = config.access_log_format % atoms
    entry = json.loads(line)
    assert entry["status"] == "200" and entry["path"] == "/search"
    assert entry["time"].endswith("Z") and "T" in entry["time"]
    assert entry["request_id"] == "abc123def456"
    assert entry["user_agent"] == environ["HTTP_USER_AGENT"]
    assert "pangolin" not in line


def test_gunicorn_empties_the_metrics_directory_at_start(monkeypatch, tmp_path):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")
    settings = gunicorn_settings({"PROMETHEUS_MULTIPROC_DIR": str(directory)}, monkeypatch)
    settings.on_starting(None)
    assert directory.is_dir() and not any(directory.iterdir())


def test_a_request_method_a_visitor_invents_adds_no_metrics_label(client):
    """The method label is one of HTTP's own: invented methods (any token is accepted) would
    grow the series without bound, one per request."""
    for method in ("BREW", "XQ1", "XQ2"):
        client.open("/about", method=method, environ_overrides=STRANGER)
    body = client.get("/metrics").data.decode()
    assert "BREW" not in body and "XQ1" not in body
    other = {"endpoint": "unmatched", "method": "other"}
    assert sample("casebank_request_duration_seconds_count", other) >= 3
