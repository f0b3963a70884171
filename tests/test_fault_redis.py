"""Redis down (CASEBANK_REDIS_URL set, nothing answering): pages that need no session are
served; a page that must read or store a session answers the busy page (503), never 500; rate
limits fall back to counting in each process's memory, so they still hold."""

import socket

import pytest
from redis.exceptions import MasterDownError

from casebank import create_app
from casebank.extensions import db
from casebank.search import search_indexes
from tests.api_helpers import bearer

pytestmark = pytest.mark.no_db


def closed_port():
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(app, monkeypatch):
    monkeypatch.setenv("CASEBANK_REDIS_URL", f"redis://127.0.0.1:{closed_port()}/15")
    # The session app's database, search index and data directory; only Redis differs.
    down = create_app("testing", {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                  "PROPAGATE_EXCEPTIONS": False,
                                  "API_RATE_LIMIT_PER_ADDRESS": "3 per minute"})  # fmt: skip
    yield down
    search_indexes(down).close()
    with down.app_context():
        db.engine.dispose()


def test_public_pages_are_served_while_redis_is_down(redis_down):
    client = redis_down.test_client()
    for path in ("/", "/cases", "/search?q=ivory", "/documents"):
        assert client.get(path).status_code == 200, path


def test_a_page_that_stores_a_session_answers_busy_not_500(redis_down):
    response = redis_down.test_client().get("/account/login")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "Set-Cookie" not in response.headers  # no cookie for a session that was not stored
    assert "try again" in response.get_data(as_text=True).lower()


def test_a_request_with_a_session_cookie_answers_busy_not_500(redis_down):
    client = redis_down.test_client()
    client.set_cookie(redis_down.config["SESSION_COOKIE_NAME"], "a" * 43)
    response = client.get("/cases")
    assert response.status_code == 503


def test_rate_limits_still_hold_in_memory_while_redis_is_down(redis_down):
    client = redis_down.test_client()
    answers = [client.get("/api/v1/cases").status_code for _ in range(5)]
    assert answers[:3] == [200, 200, 200]
    assert answers[3:] == [429, 429]


def test_the_wrong_token_limit_still_holds_while_redis_is_down(redis_down):
    client = redis_down.test_client()
    redis_down.config["API_RATE_LIMIT_PER_ADDRESS"] = "100 per minute"
    answers = {client.get("/api/v1/cases", headers=bearer("cbk_wrong")).status_code
               for _ in range(22)}  # fmt: skip
    assert answers == {401, 429}


def test_a_redis_that_answers_with_an_error_gives_the_busy_page_not_500(redis_down, monkeypatch):
    """Redis reachable but refusing (a replica whose primary is down during a failover, an ACL
    that no longer allows the command): the same busy page as Redis unreachable."""

    def refuse(*args, **kwargs):
        raise MasterDownError("MASTERDOWN Link with MASTER is down")

    monkeypatch.setattr(redis_down.session_interface.client, "get", refuse)
    client = redis_down.test_client()
    client.set_cookie(redis_down.config["SESSION_COOKIE_NAME"], "a" * 43)
    response = client.get("/cases")
    assert response.status_code == 503 and response.headers["Retry-After"]
