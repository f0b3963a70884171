"""The audit log: hash-chained, append-only, scrubbed of secrets, safe to export and to log."""

import csv
import io
import json
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from casebank.extensions import db as _db
from casebank.models import AuditEvent, CaseStudy
from casebank.models.audit import AuditLogIsAppendOnly
from casebank.services import audit
from casebank.services.audit import GENESIS_HASH, record, verify_chain


@dataclass
class Person:
    id: int
    email: str


ALICE = Person(7, "alice@customs.example")
BOB = Person(8, "bob@customs.example")


def first_case():
    return _db.session.scalars(select(CaseStudy).order_by(CaseStudy.id).limit(1)).one()


def record_several():
    case = first_case()
    return [
        record("login.success", actor=ALICE, ip="192.0.2.10"),
        record("restricted.case.view", actor=ALICE, target=case, ip="192.0.2.10"),
        record("login.failure", details={"email": "nobody@example.org"}, ip="198.51.100.4"),
        record("restricted.search", actor=BOB, details={"q": "ivory", "results": 3}),
        record("account.role_changed", actor=BOB, target=("users", 7), details={"to": ["admin"]}),
    ]


def is_postgresql(db):
    return db.session.get_bind().dialect.name == "postgresql"


def act_as_attacker(db):
    """Switch off the append-only triggers, as someone with database access could; the test's
    rollback switches them on again."""
    if is_postgresql(db):
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER audit_events_no_update"))
        db.session.execute(text("DROP TRIGGER audit_events_no_delete"))


@pytest.fixture(autouse=True)
def empty_audit_log(db):
    """Each test starts from an empty log (the session's set-up recorded account creations),
    inside its rolled-back transaction, with the append-only triggers back in place."""
    if db is None:
        return
    if is_postgresql(db):
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        return
    triggers = db.session.execute(
        text(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger' AND tbl_name = 'audit_events'"
        )
    ).all()
    for name, _ in triggers:
        db.session.execute(text(f"DROP TRIGGER {name}"))
    db.session.execute(text("DELETE FROM audit_events"))
    for _, sql in triggers:
        db.session.execute(text(sql))


def test_events_chain_and_the_chain_verifies(db):
    events = record_several()
    assert events[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert events[1].target_type == "case_studies"
    assert events[1].target_id == str(first_case().id)
    assert (events[4].target_type, events[4].target_id) == ("users", "7")
    check = verify_chain()
    assert check.intact
    assert (check.count, check.head_hash) == (5, events[-1].hash)


def test_anonymous_and_system_actors_have_labels_and_no_id(db):
    anonymous = record("login.failure")
    system = record("keys.rotated", actor=audit.SYSTEM, details={"key_id": 2})
    assert (anonymous.actor_id, anonymous.actor_label) == (None, "anonymous")
    assert (system.actor_id, system.actor_label) == (None, "system")


def test_an_empty_log_verifies(db):
    assert verify_chain().intact
    assert verify_chain().count == 0


def test_a_changed_event_is_detected_by_its_id(db):
    events = record_several()
    act_as_attacker(db)
    db.session.execute(
        text("UPDATE audit_events SET details = :details WHERE id = :id"),
        {"details": json.dumps({"q": "nothing to see"}), "id": events[3].id},
    )
    check = verify_chain()
    assert not check.intact
    assert check.broken_id == events[3].id
    assert "changed" in check.reason


@pytest.mark.parametrize("deleted", [0, 2], ids=["first", "middle"])
def test_a_deleted_event_is_detected_at_the_next_one(db, deleted):
    events = record_several()
    act_as_attacker(db)
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": events[deleted].id})
    check = verify_chain()
    assert check.broken_id == events[deleted + 1].id
    assert "deleted" in check.reason


def test_a_moved_event_is_detected(db):
    events = record_several()
    act_as_attacker(db)
    db.session.execute(
        text("UPDATE audit_events SET id = :new WHERE id = :id"),
        {"new": events[-1].id + 100, "id": events[1].id},
    )
    assert verify_chain().broken_id == events[2].id


def test_the_orm_refuses_to_change_an_event(db):
    event = record("logout", actor=ALICE)
    event.details = {"forged": True}
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()


def test_the_orm_refuses_to_delete_an_event(db):
    event = record("logout", actor=ALICE)
    db.session.delete(event)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()


@pytest.mark.parametrize(
    "statement",
    [update(AuditEvent).values(action="login.success"), delete(AuditEvent)],
    ids=["update", "delete"],
)
def test_the_orm_refuses_bulk_changes(db, statement):
    record("logout", actor=ALICE)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement)


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_events SET action = 'logout'", "DELETE FROM audit_events"],
    ids=["update", "delete"],
)
def test_the_database_refuses_changes_made_without_the_orm(db, sql):
    record("logout", actor=ALICE)
    with pytest.raises(DBAPIError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(sql))
    assert verify_chain().intact


def test_two_events_cannot_chain_onto_the_same_predecessor(db):
    first = record("logout", actor=ALICE)
    fork = AuditEvent(
        occurred_at=first.occurred_at,
        actor_label="system",
        action="keys.rotated",
        details={},
        prev_hash=first.prev_hash,
        hash="f" * 64,
    )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(fork)
        db.session.flush()


def test_secrets_are_never_stored_or_logged(db, caplog):
    secrets = ["hunter2hunter2", "123456", "ABCD-EFGH", "tok-abc", "s3cr3t", "JBSWY3DP"]
    details = {
        "email": "alice@customs.example",
        "Password": secrets[0],
        "second_factor": {"TOTP": secrets[1], "recovery_codes": [secrets[2]]},
        "attempts": [{"reset_token": secrets[3]}, {"client_SECRET": secrets[4]}],
        "tf_totp_secret": secrets[5],
    }
    with caplog.at_level(logging.INFO, logger="casebank.services.audit"):
        event = record("tf.enrolled", actor=ALICE, details=details)
    assert event.details == {
        "email": "alice@customs.example",
        "Password": "[removed]",
        "second_factor": {"TOTP": "[removed]", "recovery_codes": "[removed]"},
        "attempts": [{"reset_token": "[removed]"}, {"client_SECRET": "[removed]"}],
        "tf_totp_secret": "[removed]",
    }
    stored = db.session.execute(text("SELECT * FROM audit_events")).one()
    for secret in secrets:
        assert secret not in repr(tuple(stored))
        assert secret not in caplog.text
    assert details["Password"] == secrets[0]  # the caller's dict is left alone


def test_line_breaks_in_user_input_forge_no_event_and_no_log_line(db, caplog):
    forged_line = "audit event 99: 'account.role_changed' by 'admin@customs.example'"
    mallory = Person(9, f"mallory@example.org\r\n{forged_line}")
    with caplog.at_level(logging.INFO, logger="casebank.services.audit"):
        event = record("login.failure", actor=mallory, details={"q": f"x\n{forged_line}"})
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
    assert event.actor_label == mallory.email  # stored as data, exactly as given
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "\n" not in message and "\r" not in message
    assert verify_chain().intact


def test_values_are_stored_as_they_read_back_so_the_hash_still_matches(db):
    record("case.published", target=("case_studies", 1), details={"on": date(2026, 1, 2), 1: (3,)})
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent)).one().details == {"on": "2026-01-02", "1": [3]}
    assert verify_chain().intact


def test_filter_events(db):
    events = record_several()

    def ids(**filters):
        return [e.id for e in db.session.scalars(audit.filter_events(**filters))]

    assert ids() == [e.id for e in events]
    assert ids(action="login.failure") == [events[2].id]
    assert ids(action=["login.success", "login.failure"]) == [events[0].id, events[2].id]
    assert ids(actor=BOB) == ids(actor=8) == ids(actor=BOB.email) == [events[3].id, events[4].id]
    assert ids(target_type="case_studies") == [events[1].id]
    today = events[0].occurred_at.date()
    assert ids(since=today, until=today) == ids()
    assert ids(since=today + timedelta(days=1)) == []
    assert ids(until=today - timedelta(days=1)) == []
    assert ids(until=datetime(2000, 1, 1)) == []


def test_csv_export_defuses_formulas(db):
    event = record(
        "login.failure",
        actor=Person(1, '=HYPERLINK("http://evil.example","click")'),
        target=("+cmd", "-2+3"),
        ip="@SUM(A1)",
        details={"email": "x@example.org"},
    )
    stream = io.StringIO()
    assert audit.events_csv(audit.filter_events(), stream) == 1
    header, row = list(csv.reader(io.StringIO(stream.getvalue())))
    assert header == list(audit.CSV_FIELDS)
    values = dict(zip(header, row, strict=True))
    assert values["actor_label"] == '\'=HYPERLINK("http://evil.example","click")'
    assert (values["target_type"], values["target_id"]) == ("'+cmd", "'-2+3")
    assert values["ip_address"] == "'@SUM(A1)"
    assert json.loads(values["details"]) == {"email": "x@example.org"}
    assert (values["id"], values["hash"]) == (str(event.id), event.hash)


def test_cli_verify_reports_an_intact_chain(db, runner):
    events = record_several()
    result = runner.invoke(args=["casebank", "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"audit chain intact: 5 events; last hash {events[-1].hash}" in result.output


def test_cli_verify_names_the_first_broken_event(db, runner):
    events = record_several()
    act_as_attacker(db)
    db.session.execute(
        text("UPDATE audit_events SET actor_label = 'someone else' WHERE id = :id"),
        {"id": events[1].id},
    )
    result = runner.invoke(args=["casebank", "audit", "verify"])
    assert result.exit_code == 1
    assert f"audit chain broken at event {events[1].id}" in result.output


def test_cli_export_filters_by_action_and_day(db, runner, tmp_path):
    events = record_several()
    path = tmp_path / "audit.csv"
    today = events[0].occurred_at.date().isoformat()
    args = ["casebank", "audit", "export", "-o", str(path), "--since", today]
    result = runner.invoke(args=[*args, "--action", "login.success", "--action", "logout"])
    assert result.exit_code == 0, result.output
    with path.open(encoding="utf-8", newline="") as exported:
        rows = list(csv.DictReader(exported))
    assert [(r["id"], r["action"]) for r in rows] == [(str(events[0].id), "login.success")]
    assert "Exported 1 audit events." in result.output


@pytest.mark.no_db  # the writers commit for real, each on its own connection
def test_concurrent_writers_keep_one_chain(app):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip(
                "SQLite has one writer at a time: a concurrent writer waits or fails with "
                "'database is locked', so there is no interleaving to test"
            )
    with app.app_context():
        before = verify_chain()  # the session's set-up recorded some events already
        last_id = _db.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_events"))
        _db.session.remove()
    writers, per_writer = 4, 10
    start = threading.Barrier(writers)
    errors = []

    def write(n):
        try:
            with app.app_context():
                start.wait()
                for i in range(per_writer):
                    record(
                        "restricted.search", actor=Person(n, f"writer{n}@example"), details={"i": i}
                    )
                    _db.session.commit()
                _db.session.remove()
        except Exception as error:  # reported below, with the thread's error
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        try:
            assert errors == []
            check = verify_chain()
            assert check.intact, check
            assert check.count == before.count + writers * per_writer
        finally:
            _db.session.rollback()
            _db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            # Only this test's events: the tail of the chain, so what remains still verifies.
            _db.session.execute(
                text("DELETE FROM audit_events WHERE id > :last"), {"last": last_id}
            )
            _db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
            _db.session.commit()
            _db.session.remove()
