"""Re-encrypting everything under a new master key.

Run with CASEBANK_ENCRYPTION_KEY="NEW,OLD": every sealed value whose data key is wrapped by
an older key is re-wrapped under NEW (the ciphertext itself is kept), a batch at a time, each
batch committed. Values already under NEW are skipped, so an interrupted run resumes where it
stopped and a finished run changes nothing. Once it reports nothing left, drop OLD.
"""

import json
import logging
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import LargeBinary, func, select, type_coerce

from casebank.crypto import needs_rewrap, rewrap
from casebank.extensions import db
from casebank.models import User
from casebank.models.encrypted import EncryptedText, current_keyring
from casebank.services import documents

log = logging.getLogger(__name__)
BATCH = 200


@dataclass
class RotationReport:
    values: int = 0
    totp_secrets: int = 0
    recovery_codes: int = 0
    files: int = 0
    tables: dict = field(default_factory=dict)


def encrypted_columns():
    """{table: [encrypted columns]} for every table that has any."""
    found = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
        if columns:
            found[table] = columns
    return found


def rotate_table(table, columns, keyring, report, commit, progress):
    raw = [type_coerce(c, LargeBinary).label(c.name) for c in columns]
    total = db.session.scalar(select(func.count()).select_from(table))
    last_id, done = 0, 0
    with progress(total, f"Re-wrapping {table.name}") as bar:
        while True:
            rows = db.session.execute(
                select(table.c.id, *raw)
                .where(table.c.id > last_id)
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                changed = {
                    c.name: type_coerce(rewrap(bytes(row._mapping[c.name]), keyring), LargeBinary)
                    for c in columns
                    if row._mapping[c.name] is not None
                    and needs_rewrap(bytes(row._mapping[c.name]), keyring)
                }
                if changed:
                    db.session.execute(table.update().where(table.c.id == row.id).values(changed))
                    report.values += len(changed)
                last_id = row.id
            commit()
            done += len(rows)
            bar.update(len(rows))
    report.tables[table.name] = done


def rotate_account_secrets(report, commit):
    """TOTP secrets and recovery codes, which Flask-Security encrypts with derived keys."""
    security = current_app.extensions["security"]
    primary_tag = next(iter(current_app.config["SECURITY_TOTP_SECRETS"]))
    cryptor = security._mf_recovery_codes_util.cryptor
    for user in db.session.scalars(select(User).where(User.tf_totp_secret.is_not(None))):
        if json.loads(user.tf_totp_secret).get("enckey", {}).get("k") != primary_tag:
            user.tf_totp_secret = security._totp_factory.reencrypt(user.tf_totp_secret)
            report.totp_secrets += 1
    for user in db.session.scalars(select(User).where(User.mf_recovery_codes.is_not(None))):
        user.mf_recovery_codes = [
            cryptor.rotate(c.encode()).decode() for c in user.mf_recovery_codes
        ]
        report.recovery_codes += len(user.mf_recovery_codes)
    db.session.flush()
    commit()


def rotate_keys(commit, progress, file_rewrappers=None):
    """Re-wrap every sealed value, account secret and stored restricted file.

    file_rewrappers: functions (keyring, progress) -> files rewritten; by default the
    document store's.
    """
    keyring = current_keyring()
    report = RotationReport()
    for table, columns in encrypted_columns().items():
        rotate_table(table, columns, keyring, report, commit, progress)
    rotate_account_secrets(report, commit)
    for rewrap_files in file_rewrappers or (documents.rewrap_files,):
        report.files += rewrap_files(keyring, progress)
    log.info("key rotation: %s", report)
    return report


def values_left_to_rotate():
    """How many sealed values and files are still under an older key (0: rotation complete)."""
    keyring, left = current_keyring(), 0
    for columns in encrypted_columns().values():
        raw = [type_coerce(c, LargeBinary) for c in columns]
        for row in db.session.execute(select(*raw)):
            left += sum(1 for v in row if v is not None and needs_rewrap(bytes(v), keyring))
    return left + documents.files_left_to_rotate(keyring)
