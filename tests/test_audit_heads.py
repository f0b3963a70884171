"""`flask casebank audit head` keeps the chain's head outside the database; `audit verify
--against FILE` catches a chain rewritten since (each hash recomputed, so it verifies alone)."""

import json
import logging
from types import SimpleNamespace

from sqlalchemy import select, text

from casebank.extensions import db
from casebank.models import AuditEvent
from casebank.services import audit, audit_heads
from tests.test_audit import act_as_attacker


def rewrite(event_id, action):
    """What an intruder with SQL access does: change an event and recompute its hash."""
    act_as_attacker(db)
    table = AuditEvent.__table__
    row = db.session.execute(select(table).where(table.c.id == event_id)).one()
    changed = SimpleNamespace(**{**row._asdict(), "action": action})
    db.session.execute(
        text("UPDATE audit_events SET action = :action, hash = :hash WHERE id = :id"),
        {"action": action, "hash": audit.event_hash(changed), "id": event_id},
    )


def test_head_is_appended_to_the_file_and_logged(runner, tmp_path, caplog):
    event = audit.record("test.event", actor=audit.SYSTEM)
    heads = tmp_path / "heads.jsonl"
    with caplog.at_level(logging.INFO, logger="casebank.services.audit_heads"):
        for _ in range(2):
            result = runner.invoke(args=["casebank", "audit", "head", "--file", str(heads)])
            assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in heads.read_text().splitlines()]
    assert [(h["id"], h["hash"]) for h in lines] == [(event.id, event.hash)] * 2
    assert all(h["recorded_at"].endswith("Z") for h in lines)
    assert f"audit chain head: event {event.id} hash {event.hash}" in caplog.text


def test_head_file_defaults_to_the_data_directory(app, runner):
    audit.record("test.event", actor=audit.SYSTEM)
    path = app.config["DATA_DIR"] / audit_heads.HEADS_FILE
    before = path.read_text() if path.exists() else ""
    assert runner.invoke(args=["casebank", "audit", "head"]).exit_code == 0
    assert len(path.read_text().splitlines()) == len(before.splitlines()) + 1


def test_verify_against_recorded_heads_passes_on_an_untouched_chain(runner, tmp_path):
    heads = tmp_path / "heads.jsonl"
    audit.record("test.first", actor=audit.SYSTEM)
    runner.invoke(args=["casebank", "audit", "head", "--file", str(heads)])
    audit.record("test.second", actor=audit.SYSTEM)  # the chain grows after a recorded head
    result = runner.invoke(args=["casebank", "audit", "verify", "--against", str(heads)])
    assert result.exit_code == 0, result.output
    assert "1 recorded heads still on the chain" in result.output


def test_a_rewritten_chain_verifies_alone_but_not_against_its_recorded_head(runner, tmp_path):
    heads = tmp_path / "heads.jsonl"
    event = audit.record("test.event", actor=audit.SYSTEM)
    runner.invoke(args=["casebank", "audit", "head", "--file", str(heads)])
    rewrite(event.id, "test.rewritten")
    assert audit.verify_chain().intact  # the rewrite is consistent...
    result = runner.invoke(args=["casebank", "audit", "verify", "--against", str(heads)])
    assert result.exit_code == 1  # ...but the recorded head names it
    assert f"audit chain rewritten: event {event.id} its hash differs" in result.output


def test_a_cut_chain_is_caught(runner, tmp_path):
    heads = tmp_path / "heads.jsonl"
    last = audit.record("test.event", actor=audit.SYSTEM)
    runner.invoke(args=["casebank", "audit", "head", "--file", str(heads)])
    act_as_attacker(db)
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last.id})
    db.session.expunge(last)
    result = runner.invoke(args=["casebank", "audit", "verify", "--against", str(heads)])
    assert result.exit_code == 1 and f"event {last.id} recorded at" in result.output


def test_a_damaged_heads_file_is_reported(runner, tmp_path):
    heads = tmp_path / "heads.jsonl"
    heads.write_text("not json\n")
    result = runner.invoke(args=["casebank", "audit", "verify", "--against", str(heads)])
    assert result.exit_code == 1 and "line 1 is not a recorded head" in result.output
