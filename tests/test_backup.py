"""`flask casebank backup` and `restore`: a round trip through an empty database and data
directory keeps restricted text and files sealed and readable, the audit chain verifies and
the search index is rebuilt; a damaged backup, another schema revision or a database that
holds data are refused and nothing changes.

Each test builds its own scratch databases (SQLite files or PostgreSQL schemas)."""

import json
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from casebank import create_app
from casebank.crypto import new_master_key
from casebank.extensions import db
from casebank.models import AuditEvent, CaseStudy, Document, StoredSession
from casebank.models.case_study import utc_now
from casebank.search import search_for
from casebank.search.querying import SearchRequest
from casebank.services import accounts, documents
from casebank.services import backup as backup_service
from casebank.services.case_transfer import import_cases
from tests.conftest import empty_database
from tests.factories import case_record
from tests.test_encryption_at_rest import (
    CANARY_FILE,
    CANARY_NOTES,
    CANARY_TEXT,
    OFFICER,
    context,
    write_canaries,
)

pytestmark = pytest.mark.no_db
TARGET_SCHEMA = "casebank_restore_target"


@pytest.fixture
def target_url(app, tmp_path):
    """A second empty database of the suite's kind, for the restore."""
    yield from empty_database(app, tmp_path, TARGET_SCHEMA)


@pytest.fixture
def make_app(monkeypatch):
    apps = []

    def make(url, data_dir, key):
        monkeypatch.setenv("CASEBANK_DATA_DIR", str(data_dir))
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "ENCRYPTION_KEY": key})
        apps.append(app)
        return app

    yield make
    for app in apps:
        if "casebank.search" in app.extensions:  # its searchers hold their files open
            app.extensions["casebank.search"].close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def pair(scratch_url, target_url, tmp_path, make_app):
    """(source app with the canaries, empty migrated target app, backup directory)."""
    key = new_master_key()
    source = make_app(scratch_url, tmp_path / "source", key)
    write_canaries(source)
    target = make_app(target_url, tmp_path / "target", key)
    with context(target):
        upgrade()
    return source, target, tmp_path / "backup"


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["casebank", *args])


def backup_bytes(directory):
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


def row_count(app, model):
    with context(app):
        return db.session.scalar(select(func.count()).select_from(model))


def test_round_trip_keeps_restricted_text_sealed_and_readable(pair):
    source, target, backup = pair
    last = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    with context(source):
        head_id, head_hash = db.session.execute(last).one()
    made = invoke(source, "backup", str(backup))
    assert made.exit_code == 0, made.output
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["audit_head"] == {"id": head_id, "hash": head_hash}
    with context(source):  # the backup itself is recorded after its snapshot
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.id > head_id)) == (
            "backup.written"
        )
    assert manifest["tables"]["case_studies"]["rows"] == 2
    assert len(manifest["files"]) == 1
    stored = backup_bytes(backup)
    for canary in (CANARY_NOTES, CANARY_TEXT, CANARY_FILE):  # sealed in the backup too
        assert canary.encode() not in stored
    for secret in (source.config["ENCRYPTION_KEY"], source.config["SECRET_KEY"]):
        assert secret.encode() not in stored

    restored = invoke(target, "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output
    with context(target):
        case = db.session.scalar(select(CaseStudy).filter_by(reference="ENC-2"))
        assert CANARY_TEXT in case.narrative and CANARY_NOTES in case.restricted_notes
        assert CANARY_FILE.encode() in documents.read_file(db.session.scalar(select(Document)))
        hits = search_for(  # the restricted index was rebuilt from the restored rows
            accounts.find_user(OFFICER), SearchRequest.from_args(MultiDict({"q": CANARY_TEXT}))
        )
        assert [h.reference for h in hits.hits] == ["ENC-2"]
        import_cases([case_record(reference="AFTER-1")])  # ids continue after the restored ones
        db.session.commit()
    assert invoke(target, "audit", "verify").exit_code == 0
    assert row_count(target, CaseStudy) == 3
    with context(target):  # the restore is in the restored trail, after the backup's head
        after = select(AuditEvent.action).where(AuditEvent.id > head_id).order_by(AuditEvent.id)
        assert db.session.scalars(after).first() == "backup.restored"
        assert db.session.get(AuditEvent, head_id).hash == head_hash


def test_a_manifest_pointing_outside_the_backup_is_refused(pair, tmp_path):
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    manifest["files"] = {str(outside): "0" * 64}
    (backup / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "is missing" in result.output
    del manifest["tables"]
    (backup / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "fields missing" in result.output


def test_a_damaged_backup_is_refused_and_changes_nothing(pair):
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    stored_file = next(p for p in (backup / "files").rglob("*") if p.is_file())
    damaged = bytearray(stored_file.read_bytes())
    damaged[-1] ^= 1
    stored_file.write_bytes(bytes(damaged))
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1
    assert "does not match its checksum" in result.output
    assert row_count(target, CaseStudy) == 0
    assert not any(p.is_file() for p in target.config["FILE_STORE_DIR"].rglob("*"))


def test_a_changed_table_file_is_refused(pair):
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    with open(backup / "database" / "case_studies.jsonl", "a") as rows:
        rows.write("{}\n")
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "database/case_studies.jsonl" in result.output
    assert row_count(target, CaseStudy) == 0


def test_another_schema_revision_is_refused(pair):
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    manifest["alembic_revision"] = "0000older0000"
    (backup / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "schema revision 0000older0000" in result.output
    assert row_count(target, CaseStudy) == 0


def test_a_database_that_holds_data_is_refused(pair):
    source, _, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    result = invoke(source, "restore", str(backup))
    assert result.exit_code == 1 and "not empty" in result.output
    assert row_count(source, CaseStudy) == 2


def test_another_encryption_key_is_refused(pair, make_app, target_url, tmp_path):
    source, _, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    other = make_app(target_url, tmp_path / "other", new_master_key())
    result = invoke(other, "restore", str(backup))
    assert result.exit_code == 1 and "CASEBANK_ENCRYPTION_KEY" in result.output
    assert row_count(other, CaseStudy) == 0


def test_backup_refuses_a_directory_that_holds_files(pair):
    source, _, backup = pair
    backup.mkdir()
    (backup / "something").write_text("x")
    result = invoke(source, "backup", str(backup))
    assert result.exit_code == 1 and "not an empty directory" in result.output


def test_a_sqlite_backup_restores_into_the_suite_database(target_url, tmp_path, make_app):
    """On the PostgreSQL run: from SQLite into PostgreSQL (the format is the database's own)."""
    key = new_master_key()
    source = make_app(f"sqlite:///{tmp_path / 'source.db'}", tmp_path / "source", key)
    write_canaries(source)
    target = make_app(target_url, tmp_path / "target", key)
    with context(target):
        upgrade()
    assert invoke(source, "backup", str(tmp_path / "backup")).exit_code == 0
    result = invoke(target, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    with context(target):
        case = db.session.scalar(select(CaseStudy).filter_by(reference="ENC-2"))
        assert CANARY_TEXT in case.narrative


def test_a_stored_file_that_links_outside_the_backup_is_refused(pair, tmp_path):
    """A link in a backup would copy a file of the restoring machine (a key, a password file)
    into the file store, where the restored rows serve it."""
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    stored_file = next(p for p in (backup / "files").rglob("*") if p.is_file())
    secret = tmp_path / "host-secret"
    secret.write_bytes(stored_file.read_bytes())  # the same checksum: only the link tells
    stored_file.unlink()
    stored_file.symlink_to(secret)
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "is missing" in result.output
    assert not any(p.is_file() for p in target.config["FILE_STORE_DIR"].rglob("*"))


def test_a_file_entry_outside_the_files_directory_is_refused(pair):
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    manifest = json.loads((backup / "manifest.json").read_text())
    table_file = next(iter(manifest["tables"].values()))
    manifest["files"][table_file["path"]] = table_file["sha256"]
    (backup / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "damaged" in result.output
    manifest["files"] = [["a", "b", "c"]]
    (backup / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(target, "restore", str(backup))
    assert result.exit_code == 1 and "fields missing" in result.output


def test_a_restore_that_fails_while_copying_files_leaves_the_store_empty(pair, monkeypatch):
    """A full disk half-way: what was copied goes again, so the store is empty and the
    restore can be run again once there is room."""
    source, target, backup = pair
    assert invoke(source, "backup", str(backup)).exit_code == 0
    copy, calls = backup_service.shutil.copy2, []

    def copy_then_fill_the_disk(*args):  # part of the file is written, then the disk is full
        calls.append(args)
        copy(*args)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup_service.shutil, "copy2", copy_then_fill_the_disk)
    assert invoke(target, "restore", str(backup)).exit_code != 0
    assert len(calls) == 1
    assert not any(p.is_file() for p in target.config["FILE_STORE_DIR"].rglob("*"))


def test_a_backup_holds_no_live_session_ids(pair):
    """A session's store id is its cookie's value: a backup (kept off the machine, read by
    operators) would hand over every logged-in officer's and admin's session."""
    source, target, backup = pair
    sid = "s" * 32
    with context(source):
        db.session.add(StoredSession(store_id=f"casebank:session:{sid}", data=b"\x80",
                                     expires_at=utc_now() + timedelta(hours=12)))  # fmt: skip
        db.session.commit()
    assert invoke(source, "backup", str(backup)).exit_code == 0
    assert sid.encode() not in backup_bytes(backup)
    restored = invoke(target, "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert row_count(target, StoredSession) == 0
