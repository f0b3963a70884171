"""PostgreSQL goes away under traffic and comes back: gunicorn workers (real processes) answer
the busy page (503) while it is away, never 500, and serve again as soon as it is back, without
a restart (the pool pre-pings its connections). The outage is a cut loopback proxy between
the app and the server, so the shared server itself never stops."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.fault_proxy import CuttableProxy
from tests.test_fault_redis import closed_port

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parent.parent
# The login form stores a session (in the database without Redis) on every visit.
PAGES = ("/", "/cases", "/conventions", "/documents", "/account/login")


def status_of(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def app_behind_proxy(app, tmp_path):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a database server going away needs PostgreSQL (SQLite is a file)")
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    port = closed_port()
    log_file = (tmp_path / "gunicorn.log").open("wb")  # read it when this test fails
    env = {**os.environ, "CASEBANK_ENV": "development", "CASEBANK_DATA_DIR": str(tmp_path),
           "CASEBANK_ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
           "CASEBANK_DATABASE_URL": url.set(host="127.0.0.1", port=proxy.port)
           .render_as_string(hide_password=False)}  # fmt: skip
    env.pop("CASEBANK_REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "app:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if status_of(f"{base}/healthz") == 200:
                    break
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start")
        yield base, proxy
    finally:
        server.terminate()
        server.wait(timeout=30)
        log_file.close()
        proxy.close()


def traffic(base, seconds):
    answers, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        for page in PAGES:
            answers.append(status_of(base + page))

    return answers


def test_a_database_outage_answers_busy_and_heals_without_a_restart(app_behind_proxy):
    base, proxy = app_behind_proxy
    before = traffic(base, 1)
    proxy.cut()
    during = traffic(base, 3)
    proxy.restore()
    time.sleep(0.5)
    after = traffic(base, 2)
    print(
        f"before {before.count(200)} x 200; during {during.count(503)} x 503, "
        f"{during.count(200)} x 200, others {[a for a in during if a not in (200, 503)]}"
    )
    assert set(before) == {200}
    # The login form needs no database to show (its session is not stored: 200); the others 503.
    assert during.count(503) >= len(during) * (len(PAGES) - 1) / len(PAGES) - len(PAGES)
    assert set(during) <= {200, 503}
    assert set(after) == {200}
