"""Backups: a consistent snapshot of the database, the file store as stored, and a manifest;
and their restore into an empty database and an empty file store.

The database is read in one transaction (REPEATABLE READ on PostgreSQL, one read transaction
on SQLite in WAL mode), table by table in dependency order, and written as JSON lines: the
same backup restores on either database. Sealed values and stored files are copied as the
database and the disk hold them (still encrypted); neither the encryption key nor the secret
key is ever written. The manifest lists every file with its SHA-256, the schema revision, row
counts and the audit chain's head; restore checks all of it before it writes anything.
"""

import base64
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from alembic.migration import MigrationContext
from flask import current_app
from sqlalchemy import (
    Date,
    DateTime,
    Enum,
    Integer,
    LargeBinary,
    Numeric,
    String,
    TypeDecorator,
    column,
    false,
    func,
    select,
    table,
    text,
)

from casebank.crypto import DecryptionError, open_sealed
from casebank.extensions import db
from casebank.models.case_study import utc_now
from casebank.models.content_generation import new_token
from casebank.models.encrypted import EncryptedText, current_keyring

log = logging.getLogger(__name__)

FORMAT = "casebank-backup/1"
MANIFEST = "manifest.json"
DATABASE_DIR = "database"
FILES_DIR = "files"
BATCH = 500
# Rows the migrations themselves write (the four roles, the content token): a freshly
# migrated database holds them, and restore replaces them with the backup's.
SCHEMA_ROWS = ("roles", "content_generation")
# Rows a backup leaves out: Flask-Session's store, whose ids are the cookies' values (a backup
# read elsewhere would open every live session). A restored site starts with nobody logged in.
NOT_BACKED_UP = ("session_store",)


class BackupRefused(RuntimeError):
    """The backup cannot be made or restored; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class RestoreReport:
    tables: int
    rows: int
    files: int
    audit_head: dict


# Columns as the database stores them: sealed values as their bytes, enums as their names.
def stored_type(col):
    if isinstance(col.type, TypeDecorator):
        return col.type.impl_instance
    if isinstance(col.type, Enum):
        return String()
    return col.type


def stored_table(model_table):
    return table(model_table.name, *(column(c.name, stored_type(c)) for c in model_table.columns))


def to_json(value):
    if isinstance(value, bytes | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def from_json(value, col_type):
    if value is None:
        return None
    if isinstance(col_type, LargeBinary):
        return base64.b64decode(value["b64"])
    if isinstance(col_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(col_type, Date):
        return date.fromisoformat(value)
    if isinstance(col_type, Numeric):
        return Decimal(value)
    return value


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def schema_revision(connection):
    return MigrationContext.configure(connection).get_current_revision()


def snapshot_connection():
    """A connection whose reads all see one moment of the database."""
    connection = db.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        connection.begin()
        connection.execute(text("SET TRANSACTION READ ONLY"))
    else:
        connection.begin()  # SQLite in WAL mode: the first read fixes what this one sees
    return connection


def make_backup(target):
    """Write a backup into target (a directory that must not exist yet, or be empty).

    It is written beside target and renamed into place at the end, so a failed backup leaves
    no directory that looks like one."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupRefused(f"{target} exists and is not an empty directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        manifest = write_backup(partial)
        if target.exists():
            target.rmdir()
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log.info(
        "backup written to %s: revision %s, audit head %s",
        target, manifest["alembic_revision"], manifest["audit_head"]["id"],
    )  # fmt: skip
    return manifest


def write_backup(directory):
    (directory / DATABASE_DIR).mkdir()
    with snapshot_connection() as connection:
        revision = schema_revision(connection)
        tables = {}
        for model_table in db.metadata.sorted_tables:
            tables[model_table.name] = dump_table(connection, model_table, directory)
        head = connection.execute(
            text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
        ).first()
        connection.rollback()
    # After the snapshot: every file a row of it names was written before that row committed.
    files = copy_tree(current_app.config["FILE_STORE_DIR"], directory / FILES_DIR)
    manifest = {
        "format": FORMAT,
        "created_at": utc_now().isoformat() + "Z",
        "database": db.engine.dialect.name,
        "alembic_revision": revision,
        "tables": tables,
        "table_order": list(tables),
        "audit_head": {"id": head.id, "hash": head.hash} if head else {"id": None, "hash": None},
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def dump_table(connection, model_table, directory):
    raw = stored_table(model_table)
    names = [c.name for c in model_table.columns]
    order = [raw.c[c.name] for c in model_table.primary_key] or [raw.c[names[0]]]
    path = directory / DATABASE_DIR / f"{model_table.name}.jsonl"
    count = 0
    query = select(raw).order_by(*order)
    if model_table.name in NOT_BACKED_UP:
        query = query.where(false())
    with open(path, "w", encoding="utf-8") as out:
        result = connection.execution_options(yield_per=BATCH).execute(query)
        for row in result:
            values = {name: to_json(value) for name, value in zip(names, row, strict=True)}
            out.write(json.dumps(values, ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return {"rows": count, "path": f"{DATABASE_DIR}/{path.name}", "sha256": sha256_of(path)}


def copy_tree(source, destination):
    """Copy every file under source (bytes as they are); {relative path: sha256}."""
    source = Path(source)
    checksums = {}
    if not source.is_dir():
        return checksums
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith(".tmp-"):
            continue  # a write in progress (storage.FileStore writes .tmp- then renames)
        relative = path.relative_to(source)
        copy = destination / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        checksums[f"{FILES_DIR}/{relative.as_posix()}"] = sha256_of(copy)
    return checksums


# Restore.
def read_manifest(directory):
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupRefused(f"{directory} holds no {MANIFEST}: not a casebank backup") from None
    except (ValueError, UnicodeDecodeError):
        raise BackupRefused(f"{path} is damaged (not JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(f"{path} is not a {FORMAT} manifest")
    return manifest


def check_backup(directory):
    """The manifest, once every file it lists is present with its checksum and nothing else
    is there; else BackupRefused naming the first damaged file."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    try:
        tables = {entry["path"]: entry["sha256"] for entry in manifest["tables"].values()}
        files = dict(manifest["files"].items())
        manifest["alembic_revision"], manifest["audit_head"]["hash"]  # noqa: B018 - present?
    except (KeyError, TypeError, AttributeError, ValueError):
        raise BackupRefused(f"{directory / MANIFEST} is damaged (fields missing)") from None
    listed = {**tables, **files}
    # Each entry in its own directory (restore writes files/... into the file store).
    for relative, folder in [
        *((t, DATABASE_DIR) for t in tables),
        *((f, FILES_DIR) for f in files),
    ]:
        if not isinstance(relative, str) or not relative.startswith(f"{folder}/"):
            raise BackupRefused(f"damaged backup: {relative} is missing (not under {folder}/)")
    root = directory.resolve()
    for relative, expected in sorted(listed.items()):
        path = directory / relative
        inside = not Path(relative).is_absolute() and ".." not in Path(relative).parts
        # A link (or a linked directory) would read a file of this machine into the store.
        if inside and path.resolve() != root / relative:
            inside = False
        if not inside or not path.is_file():
            raise BackupRefused(f"damaged backup: {relative} is missing")
        if sha256_of(path) != expected:
            raise BackupRefused(f"damaged backup: {relative} does not match its checksum")
    present = {
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    extra = sorted(present - set(listed))
    if extra:
        raise BackupRefused(f"damaged backup: {extra[0]} is not in the manifest")
    known = {t.name for t in db.metadata.tables.values()}
    if set(manifest["tables"]) != known:
        raise BackupRefused("the backup's tables are not this version's tables")
    return manifest


def restore_backup(directory):
    """Restore the backup in directory into this (empty, migrated) database and the empty file
    store; then rebuild the search index. Refuses, changing nothing, a damaged backup, another
    schema revision, a database or file store that holds data, or another encryption key."""
    directory = Path(directory)
    manifest = check_backup(directory)
    store = Path(current_app.config["FILE_STORE_DIR"])
    with db.engine.connect() as connection:
        refuse_unless_restorable(connection, manifest, store, directory)
        connection.rollback()  # end the checks' read transaction; the restore is one write
        copied = []  # what restore_files wrote so far: removed again if anything fails
        try:
            with connection.begin():
                restore_files(directory, store, manifest, copied)
                rows = load_tables(connection, directory, manifest)
                reset_sequences(connection)
                new_token(connection)  # pages kept from before the restore are stale
        except BaseException:
            for path in copied:
                path.unlink(missing_ok=True)
            raise
    log.info("backup %s restored: %s rows, %s files", directory, rows, len(copied))
    return RestoreReport(len(manifest["tables"]), rows, len(copied), manifest["audit_head"])


def refuse_unless_restorable(connection, manifest, store, directory):
    revision = schema_revision(connection)
    if revision != manifest["alembic_revision"]:
        raise BackupRefused(
            f"the backup is of schema revision {manifest['alembic_revision']}, this database is "
            f"at {revision}: migrate an empty database to {manifest['alembic_revision']} "
            "(flask db upgrade with the same casebank version), restore, then upgrade"
        )
    for model_table in db.metadata.sorted_tables:
        if model_table.name in SCHEMA_ROWS:
            continue
        count = connection.execute(select(func.count()).select_from(model_table)).scalar()
        if count:
            raise BackupRefused(
                f"the database is not empty ({model_table.name} has {count} rows): restore "
                "into a new database migrated with flask db upgrade"
            )
    if store.is_dir() and any(p.is_file() for p in store.rglob("*")):
        raise BackupRefused(f"the file store {store} is not empty")
    check_key(directory, manifest)


def check_key(directory, manifest):
    """Open one sealed value of the backup with this configuration's key: a restore under
    another key would leave everything restricted unreadable."""
    for model_table in db.metadata.sorted_tables:
        sealed = [c for c in model_table.columns if isinstance(c.type, EncryptedText)]
        if not sealed:
            continue
        for values in read_rows(directory, manifest, model_table.name):
            for col in sealed:
                if values.get(col.name) is not None:
                    blob = base64.b64decode(values[col.name]["b64"])
                    try:
                        open_sealed(blob, current_keyring(), col.type.aad)
                    except (DecryptionError, ValueError, KeyError):
                        raise BackupRefused(
                            "the backup's sealed values do not open with this "
                            "CASEBANK_ENCRYPTION_KEY: configure the key it was made under"
                        ) from None
                    return


def read_rows(directory, manifest, table_name):
    with open(directory / manifest["tables"][table_name]["path"], encoding="utf-8") as rows:
        for line in rows:
            yield json.loads(line)


def restore_files(directory, store, manifest, copied):
    """Copy the backup's files into the store, appending each to copied before writing it."""
    for relative in manifest["files"]:
        target = store / Path(relative).relative_to(FILES_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        copied.append(target)
        shutil.copy2(directory / relative, target)
    return copied


def load_tables(connection, directory, manifest):
    total = 0
    for name in SCHEMA_ROWS:
        connection.execute(db.metadata.tables[name].delete())
    for model_table in db.metadata.sorted_tables:
        raw = stored_table(model_table)
        types = {c.name: stored_type(c) for c in model_table.columns}
        batch = []
        for values in read_rows(directory, manifest, model_table.name):
            batch.append({name: from_json(values.get(name), types[name]) for name in types})
            if len(batch) == BATCH:
                connection.execute(raw.insert(), batch)
                total, batch = total + len(batch), []
        if batch:
            connection.execute(raw.insert(), batch)
            total += len(batch)
        expected = manifest["tables"][model_table.name]["rows"]
        count = connection.execute(select(func.count()).select_from(model_table)).scalar()
        if count != expected:
            raise BackupRefused(f"{model_table.name}: {count} rows restored, {expected} expected")
    return total


def reset_sequences(connection):
    """PostgreSQL: each id sequence continues after the restored rows (inserting explicit ids
    does not move it)."""
    if connection.dialect.name != "postgresql":
        return
    for model_table in db.metadata.sorted_tables:
        keys = list(model_table.primary_key)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        name = keys[0].name
        # Names from the models' metadata, never from input.
        statement = (
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "  # noqa: S608
            f'COALESCE(MAX("{name}"), 0) + 1, false) FROM "{model_table.name}"'
        )
        connection.execute(text(statement), {"table": model_table.name, "column": name})
