"""Several app hosts on one database, each with its own search index fed by the change feed
(real processes: gunicorn per host, the command line as another process of host A). A change
saved on host A is searchable on host B within 2 s; a host restarted after missing changes
catches up; a host added late builds its index and follows the feed."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url

from casebank.extensions import db
from casebank.models import CaseStudy, IndexPosition
from tests.factories import case_record
from tests.test_fault_redis import closed_port

pytestmark = pytest.mark.no_db
ROOT = Path(__file__).resolve().parent.parent
BOUND = 2.0  # seconds from A's commit to B's search finding it
WORD = "quetzalfeather"


class Host:
    def __init__(self, app, name, data_dir):
        self.name, self.data_dir, self.server = name, data_dir, None
        self.env = {**os.environ, "CASEBANK_ENV": "development", "CASEBANK_HOST_ID": name,
                    "CASEBANK_DATA_DIR": str(data_dir),
                    "CASEBANK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                    "CASEBANK_ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"]}  # fmt: skip
        self.env.pop("CASEBANK_REDIS_URL", None)

    def flask(self, *args):
        command = [sys.executable, "-m", "flask", "--app", "app", "casebank", *args]
        done = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    def start(self):
        self.flask("reindex", "--if-missing")  # what the Docker image runs before serving
        self.port = closed_port()
        self.log = (self.data_dir / "gunicorn.log").open("ab")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind",
             f"127.0.0.1:{self.port}", "app:app"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log,
        )  # fmt: skip
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.1)
        pytest.fail(f"host {self.name} did not start")

    def stop(self):
        if self.server:
            self.server.terminate()
            self.server.wait(timeout=30)
            self.log.close()
            self.server = None

    def search(self, words):
        url = f"http://127.0.0.1:{self.port}/search?q={quote(words)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()

    def save(self, *records):
        """Save case studies through host A's command line (another process of that host)."""
        path = self.data_dir / f"import-{time.monotonic_ns()}.json"
        path.write_text(json.dumps(list(records)))
        self.flask("import", str(path))


def seconds_until(found, limit=10.0):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if found():
            return time.monotonic() - start
        time.sleep(0.05)
    return None


@pytest.fixture
def hosts(app, tmp_path):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("several app processes writing at once need PostgreSQL (SQLite: one process)")
    made = []

    def host(name):
        made.append(Host(app, name, tmp_path / name))
        made[-1].data_dir.mkdir()
        return made[-1]

    yield host
    for each in made:
        each.stop()
    with app.app_context():  # what the hosts wrote outlives the test: take it away
        db.session.execute(delete(CaseStudy).where(CaseStudy.reference.like("HOSTS-%")))
        db.session.execute(delete(IndexPosition).where(IndexPosition.host.like("host-%")))
        db.session.commit()


def test_a_change_on_one_host_is_searchable_on_another_within_two_seconds(hosts):
    a, b = hosts("host-a"), hosts("host-b")
    a.start()
    b.start()
    record = case_record(reference="HOSTS-0001", title=f"A {WORD} shipment stopped at the border")
    a.save(record)
    assert WORD in a.search(WORD)
    waited = seconds_until(lambda: "HOSTS-0001" in b.search(WORD))
    assert waited is not None and waited <= BOUND, waited

    a.save({**record, "title": "Renamed shipment of plumes"})  # a new title reaches B
    assert seconds_until(lambda: "HOSTS-0001" in b.search("renamed plumes"), BOUND) is not None
    a.save({**record, "access_level": "restricted", "restricted_notes": "For officers."})
    gone = seconds_until(lambda: "HOSTS-0001" not in b.search("renamed plumes"), BOUND)
    assert gone is not None  # made restricted on A: out of B's public search


def test_a_restarted_host_catches_up_and_a_late_host_follows(hosts):
    a, b = hosts("host-a"), hosts("host-b")
    a.start()
    b.start()
    b.stop()  # down while A saves
    a.save(*(case_record(reference=f"HOSTS-01{n}", title=f"{WORD} lot {n}") for n in range(3)))
    b.start()
    assert seconds_until(lambda: b.search(WORD).count("HOSTS-01") >= 3, BOUND) is not None
    c = hosts("host-c")  # a new host: builds its index, then follows the feed
    c.start()
    assert c.search(WORD).count("HOSTS-01") >= 3
    a.save(case_record(reference="HOSTS-0200", title=f"{WORD} after the newcomer"))
    assert seconds_until(lambda: "HOSTS-0200" in c.search(WORD), BOUND) is not None
