"""Restricted text is encrypted at rest and survives a master-key rotation.

Each test builds its own scratch database (SQLite file or PostgreSQL schema) and data
directory, writes canaries through the normal paths, commits, then looks at the raw bytes.
"""

import shutil
import subprocess
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from casebank import create_app
from casebank.crypto import DecryptionError, new_master_key
from casebank.extensions import db
from casebank.models import CaseStudy, Document
from casebank.search import search_for
from casebank.services import accounts, documents, key_rotation
from casebank.services.case_transfer import import_cases
from casebank.services.reference_data import load_partners, load_reference
from tests.auth_actions import PASSWORD
from tests.factories import case_record

pytestmark = pytest.mark.no_db
CANARY_NOTES = "canary-notes-pangolin-5531"
CANARY_TEXT = "canary-narrative-sifaka-2209"
CANARY_FILE = "canary-file-dugong-7316"
OFFICER = "rotation.officer@casebank.example.org"


@pytest.fixture
def scratch(scratch_url, tmp_path, monkeypatch):
    """make(key) -> an app on the scratch database; all share one data directory."""
    monkeypatch.setenv("CASEBANK_DATA_DIR", str(tmp_path / "data"))
    apps = []

    def make(key):
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_url, "ENCRYPTION_KEY": key})
        apps.append(app)
        return app

    yield make
    for app in apps:
        if "casebank.search" in app.extensions:  # its searchers hold their files open
            app.extensions["casebank.search"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@contextmanager
def context(app):
    with app.app_context(), app.test_request_context():
        yield
        db.session.remove()


def write_canaries(app):
    with context(app):
        upgrade()
        load_reference()
        load_partners()
        import_cases([
            case_record(reference="ENC-1", restricted_notes=f"Notes {CANARY_NOTES}."),
            case_record(reference="ENC-2", access_level="restricted",
                        narrative=f"The {CANARY_TEXT}.", restricted_notes=f"More {CANARY_NOTES}.",
                        agencies=[CANARY_TEXT]),
        ])  # fmt: skip
        documents.create_document(
            {"title": f"Routing {CANARY_FILE}", "kind": "report", "access_level": "restricted",
             "language": "en", "status": "published"},
            f"Sealed file {CANARY_FILE}.".encode(), "notes.txt",
        )  # fmt: skip
        officer = accounts.create_user(OFFICER, ["officer"], password=PASSWORD)
        security = app.extensions["security"]
        officer.tf_primary_method = "authenticator"
        officer.tf_totp_secret = security._totp_factory.generate_totp_secret()
        security._mf_recovery_codes_util.create_recovery_codes(officer)
        db.session.commit()


def raw_dump(app):
    """Every row of every table as the database holds it, plus pg_dump where available."""
    with context(app):
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        dump = [
            repr(db.session.execute(text(f"SELECT * FROM {t}")).all()) for t in db.metadata.tables
        ]
        if url.get_backend_name() == "postgresql" and shutil.which("pg_dump"):
            plain = url.set(drivername="postgresql", query={})
            schema = ["--schema", "casebank_scratch"]
            out = subprocess.run(["pg_dump", *schema, plain.render_as_string(hide_password=False)],
                                 capture_output=True, check=True)  # fmt: skip
            dump.append(out.stdout.decode(errors="replace"))
    return "\n".join(dump)


def data_dir_bytes(app):
    return b"".join(p.read_bytes() for p in app.config["DATA_DIR"].rglob("*") if p.is_file())


def read_case(app, reference):
    with context(app):
        return db.session.scalar(select(CaseStudy).filter_by(reference=reference)).narrative


def read_document(app):
    with context(app):
        return documents.read_file(db.session.scalar(select(Document)))


def test_canaries_are_readable_but_never_stored_in_clear(scratch):
    app = scratch(new_master_key())
    write_canaries(app)
    assert CANARY_TEXT in read_case(app, "ENC-2")  # the data is there...
    assert CANARY_FILE.encode() in read_document(app)
    for canary in (CANARY_NOTES, CANARY_TEXT, CANARY_FILE):  # ...but not in clear
        assert canary not in raw_dump(app)
        assert canary.encode() not in data_dir_bytes(app)


def test_rotation_moves_everything_to_the_new_key(scratch):
    old, new = new_master_key(), new_master_key()
    write_canaries(scratch(old))
    rotating = scratch(f"{new},{old}")
    result = rotating.test_cli_runner().invoke(args=["casebank", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "0 left under old keys" in result.output
    after = scratch(new)
    assert CANARY_TEXT in read_case(after, "ENC-2")
    with context(after):  # the sealed search index was rebuilt under the new key
        from werkzeug.datastructures import MultiDict

        from casebank.search.querying import SearchRequest

        hits = search_for(
            accounts.find_user(OFFICER), SearchRequest.from_args(MultiDict({"q": CANARY_TEXT}))
        )
        assert [h.reference for h in hits.hits] == ["ENC-2"]
    assert CANARY_FILE.encode() in read_document(after)
    with context(after):
        officer = accounts.find_user(OFFICER)
        security = after.extensions["security"]
        assert security._totp_factory.generate_totp_password(officer.tf_totp_secret)
        assert security._mf_recovery_codes_util.check_recovery_code(
            officer, security._mf_recovery_codes_util.get_recovery_codes(officer)[0]
        )
    with pytest.raises(DecryptionError):
        read_case(scratch(old), "ENC-2")


def test_an_interrupted_rotation_resumes_without_loss(scratch, monkeypatch):
    old, new = new_master_key(), new_master_key()
    write_canaries(scratch(old))
    rotating = scratch(f"{new},{old}")
    monkeypatch.setattr(key_rotation, "BATCH", 1)
    commits = []

    def crash_after_first_batch():
        db.session.commit()
        commits.append(1)
        if len(commits) == 1:
            raise KeyboardInterrupt  # Ctrl-C after the first committed batch

    def no_bar(total, label):
        return NullBar()

    with context(rotating):
        with pytest.raises(KeyboardInterrupt):
            key_rotation.rotate_keys(crash_after_first_batch, no_bar)
        db.session.rollback()
        assert key_rotation.values_left_to_rotate() > 0  # half done...
        assert (
            CANARY_TEXT
            in db.session.scalar(select(CaseStudy).filter_by(reference="ENC-2")).narrative
        )
        key_rotation.rotate_keys(db.session.commit, no_bar)
        assert key_rotation.values_left_to_rotate() == 0
    assert CANARY_TEXT in read_case(scratch(new), "ENC-2")


class NullBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def test_rotation_needs_an_old_and_a_new_key(scratch):
    app = scratch(new_master_key())
    result = app.test_cli_runner().invoke(args=["casebank", "rotate-keys"])
    assert result.exit_code == 2 and "NEW,OLD" in result.output
