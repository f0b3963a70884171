"""A process killed (SIGKILL) while it saves case studies: nothing half-written stays, nothing
committed is lost, and the search index heals without anyone running a command. The saving
process is the command line's import (one transaction for the whole file) of a host whose
gunicorn serves its search."""

import json
import re
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from casebank.extensions import db
from casebank.models import CaseStudy, IndexPosition
from casebank.search.engine import SearchIndexes
from tests.factories import case_record
from tests.test_several_hosts import ROOT, Host, seconds_until

pytestmark = pytest.mark.no_db
WORD = "kinkajoutrade"


@pytest.fixture
def host(app, tmp_path):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("several app processes writing at once need PostgreSQL (SQLite: one process)")
    made = Host(app, "host-kill", tmp_path / "host")
    made.data_dir.mkdir()
    made.start()
    yield made
    made.stop()
    with app.app_context():
        db.session.execute(delete(CaseStudy).where(CaseStudy.reference.like("KILL-%")))
        db.session.execute(delete(IndexPosition).where(IndexPosition.host == "host-kill"))
        db.session.commit()


def importing(host, records):
    path = host.data_dir / f"import-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(records))
    command = [sys.executable, "-m", "flask", "--app", "app", "casebank", "import", str(path)]
    return subprocess.Popen(command, cwd=ROOT, env=host.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def found(host, prefix):
    return set(re.findall(rf'href="/cases/({prefix}\d+)"', host.search(WORD)))


def saved(app, prefix):
    with app.app_context():
        query = select(func.count()).where(CaseStudy.reference.like(f"{prefix}%"))
        count = db.session.scalar(query)
        db.session.remove()
        return count


def test_killed_before_its_commit_an_import_leaves_nothing(app, host):
    records = [case_record(reference=f"KILL-A{n:04d}", title=f"{WORD} lot {n}") for n in range(300)]
    process = importing(host, records)
    time.sleep(1.0)  # starting, reading, validating: well before the commit of 300 case studies
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert saved(app, "KILL-A") in (0, 300)  # all or nothing, never part of the file
    if saved(app, "KILL-A") == 0:
        assert found(host, "KILL-A") == set()


def test_killed_after_its_commit_an_import_loses_nothing_and_the_index_heals(app, host):
    records = [case_record(reference=f"KILL-B{n:02d}", title=f"{WORD} crate {n}") for n in range(5)]
    # Hold the host's index write locks: the import commits, then waits to write the index.
    blocker = SearchIndexes(host.data_dir / "index", app.config["ENCRYPTION_KEY"])
    with blocker.writers(timeout=60):
        process = importing(host, records)
        assert seconds_until(lambda: saved(app, "KILL-B") == 5, 60) is not None
        process.send_signal(signal.SIGKILL)  # committed, not yet indexed
        process.wait()
    blocker.close()
    assert saved(app, "KILL-B") == 5
    # No command: the host's next searches catch up with the change feed.
    assert seconds_until(lambda: len(found(host, "KILL-B")) == 5, 5) is not None
