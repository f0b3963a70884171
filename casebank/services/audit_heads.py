"""The audit chain's head kept outside the database: `flask casebank audit head` (from cron)
appends the last event's id and hash to a file in the data directory and to the log.

verify_chain() catches an event changed in place; a chain rewritten from some event on (every
hash recomputed) or cut at its end still verifies by itself. Each recorded head must still be
on the chain, with the same hash: check_heads() names the first recorded event that is not.
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from casebank.extensions import db
from casebank.models import AuditEvent
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)

HEADS_FILE = "audit-heads.jsonl"
BATCH = 500


def heads_path():
    return Path(current_app.config["DATA_DIR"]) / HEADS_FILE


def current_head():
    latest = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    row = db.session.execute(latest).first()
    return {"id": row.id, "hash": row.hash} if row else {"id": None, "hash": None}


def record_head(path=None):
    """Append the chain's head, with the time, to path (a JSON object per line) and log it."""
    path = Path(path or heads_path())
    head = {**current_head(), "recorded_at": utc_now().isoformat() + "Z"}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as heads:
        heads.write(json.dumps(head, sort_keys=True) + "\n")
        heads.flush()
    log.info("audit chain head: event %s hash %s", head["id"], head["hash"])
    return head


@dataclass(frozen=True)
class HeadsCheck:
    checked: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def intact(self):
        return self.broken_id is None


def read_heads(path):
    """[(event id, hash, recorded_at)] from path; heads recorded before any event are skipped."""
    heads = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                head = json.loads(line)
                if head["id"] is not None:
                    heads.append((int(head["id"]), str(head["hash"]), head.get("recorded_at")))
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{path} line {number} is not a recorded head") from None
    return heads


def stored_hashes(event_ids):
    """{id: hash} as the database holds them now (plain rows, not the session's objects)."""
    events = AuditEvent.__table__
    found = {}
    ids = sorted(set(event_ids))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        query = select(events.c.id, events.c.hash).where(events.c.id.in_(chunk))
        found.update(db.session.execute(query).tuples().all())
    return found


def check_heads(path):
    """Is every head recorded in path still on the chain, with the hash it had then?"""
    heads = read_heads(path)
    stored = stored_hashes(event_id for event_id, _, _ in heads)
    for event_id, recorded_hash, recorded_at in heads:
        if event_id not in stored:
            return HeadsCheck(len(heads), event_id, f"recorded at {recorded_at}, now missing")
        if stored[event_id] != recorded_hash:
            return HeadsCheck(
                len(heads), event_id, f"its hash differs from the one recorded at {recorded_at}"
            )
    return HeadsCheck(len(heads))
