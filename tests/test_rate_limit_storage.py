"""With CASEBANK_REDIS_URL set, rate limits are shared by every worker (here: two apps)."""

import socket
import uuid

import pytest

from casebank import create_app
from casebank.extensions import db, limiter
from tests.auth_actions import AuthActions

REDIS = ("127.0.0.1", 6379)
pytestmark = pytest.mark.no_db


def redis_running():
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_running(), reason="no Redis on 127.0.0.1:6379")
def test_two_workers_share_one_login_budget(app, monkeypatch):
    monkeypatch.setenv("CASEBANK_REDIS_URL", "redis://127.0.0.1:6379/15")
    # A key prefix of this run's own: suites of other checkouts may share this Redis.
    prefix = {"RATELIMIT_KEY_PREFIX": f"casebank-test-{uuid.uuid4().hex}"}
    workers = [create_app("testing", prefix), create_app("testing", prefix)]
    try:
        assert workers[0].config["RATELIMIT_STORAGE_URI"].startswith("redis://")
        answers = []
        for attempt in range(12):
            worker = workers[attempt % 2]
            attempt = AuthActions(worker, worker.test_client()).post_form(
                "/account/login", {"email": "x@casebank.example.org", "password": "Wrong-Pass-123"}
            )
            answers.append(attempt.status_code)
        # Each worker alone saw 6 attempts, under the per-account limit of 10 a minute;
        # together they saw 12, so the shared count refused the last ones.
        assert 429 in answers[10:]
    finally:
        with workers[0].app_context():
            limiter.reset()
        for worker in workers:
            with worker.app_context():
                db.engine.dispose()  # close its pooled connections now, not at interpreter exit


def test_without_redis_limits_live_in_memory_in_a_moving_window(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    # With fixed windows, attempts straddling a minute boundary would get two budgets.
    assert app.config["RATELIMIT_STRATEGY"] == "moving-window"
