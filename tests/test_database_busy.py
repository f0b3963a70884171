"""A database that stays busy (locked by another writer) answers 503 "try again in a moment"
with Retry-After, as a page or JSON under /api/, never 500. SQLite connections use WAL and a
busy timeout, set on every connection."""

import re
import sqlite3
from contextlib import closing, contextmanager

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, OperationalError

from casebank import create_app
from casebank.errors import database_busy
from casebank.extensions import db
from casebank.services.audit import CHAIN_LOCK_KEY
from tests.auth_actions import csrf_token

pytestmark = pytest.mark.no_db  # the lock is held on a connection of its own, for real


@pytest.fixture
def impatient_app(app):
    """A second app on the suite's database that waits 0.2 s for a lock, not 15, and hands
    exceptions to its error handlers as in production (testing apps re-raise those raised
    outside the view, such as opening the session, which a form post's first statement is)."""
    impatient = create_app("testing", {"DATABASE_BUSY_TIMEOUT": 0.2, "PROPAGATE_EXCEPTIONS": False})
    yield impatient
    with impatient.app_context():
        db.engine.dispose()


def database_url(app):
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"])


@contextmanager
def held_lock(app):
    """Another process's writer holding the database (SQLite) or the audit chain's lock
    (PostgreSQL) until the block ends."""
    url = database_url(app)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    import psycopg

    with psycopg.connect(url.set(drivername="postgresql").render_as_string(False)) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (CHAIN_LOCK_KEY,))
        try:
            yield
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (CHAIN_LOCK_KEY,))


def test_a_login_while_another_writer_holds_the_database_answers_503(app, impatient_app):
    client = impatient_app.test_client()
    # The form is fetched before the lock: its CSRF token lives in the server-side session.
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    form = {"csrf_token": token, "email": "nobody@casebank.example.org", "password": "Wrong-1234"}
    with held_lock(app):
        response = client.post("/account/login", data=form)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == "text/html"
    assert "try again in a moment" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "message", ["database is locked", "canceling statement due to lock timeout"]
)
def test_api_requests_get_the_busy_answer_in_json(app, message):
    error = OperationalError("UPDATE users", {}, sqlite3.OperationalError(message))
    if "lock timeout" in message:
        from psycopg.errors import LockNotAvailable

        error = OperationalError("UPDATE users", {}, LockNotAvailable(message))
    with app.test_request_context("/api/v1/search"):
        body, status, headers = database_busy(error)
    assert status == 503 and headers["Retry-After"]
    assert "try again in a moment" in body.get_json()["detail"]


@pytest.mark.parametrize("path, again", [("/cases", "/cases"), ("/\\evil.example/x", "/")])
def test_the_busy_pages_try_again_link_stays_on_this_site(app, path, again):
    """A link to /%5Cevil.example/x (a missing page of this site: the server decodes it to
    /\\evil.example/x) must not make "Try again" a link a browser follows to another host."""
    error = OperationalError("UPDATE users", {}, sqlite3.OperationalError("database is locked"))
    with app.test_request_context(environ_overrides={"PATH_INFO": path}):
        body, status, _headers = database_busy(error)
    assert status == 503
    assert re.findall(r'class="button" href="([^"]*)"', body) == [again]


def test_other_database_errors_stay_500(app):
    error = OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    with app.test_request_context("/cases"):
        response = database_busy(error)
    assert response[1] == 500


def test_sqlite_connections_use_wal_and_wait_for_locks(app):
    if database_url(app).get_backend_name() != "sqlite":
        pytest.skip("SQLite settings")
    with app.app_context():
        for _ in range(2):  # each new connection, not only the first
            with db.engine.connect() as connection:
                assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
                assert connection.scalar(text("PRAGMA busy_timeout")) == 15000
                assert connection.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
            db.engine.dispose()
    # WAL is a property of the file, kept when other programs open it.
    assert (
        sqlite3.connect(database_url(app).database).execute("PRAGMA journal_mode").fetchone()[0]
        == "wal"
    )


def test_postgresql_connections_time_out_on_locks(app):
    if database_url(app).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL settings")
    with app.app_context(), db.engine.connect() as connection:
        assert re.fullmatch(r"15s|15000ms", connection.scalar(text("SHOW lock_timeout")))


def test_a_page_whose_session_cannot_be_stored_while_busy_is_still_served(app, impatient_app):
    with held_lock(app):
        response = impatient_app.test_client().get("/account/login")
    if database_url(app).get_backend_name() == "sqlite":
        assert response.status_code == 200  # read, rendered; only the new session was not kept
    assert response.status_code != 500


def test_a_login_waits_for_a_writer_that_commits_while_it_reads(app, impatient_app):
    """SQLite in WAL mode: a transaction that read, then writes after another connection
    committed, fails at once, busy timeout or not. A form post takes the write lock when its
    transaction begins, so the other writer waits for it instead."""
    url = database_url(app)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's snapshot rule")
    client = impatient_app.test_client()
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    form = {"csrf_token": token, "email": "nobody@casebank.example.org", "password": "Wrong-1234"}
    other_writer = []

    def write_elsewhere(conn, cursor, statement, parameters, context, executemany):
        if other_writer or "FROM users" not in statement:
            return
        with closing(sqlite3.connect(url.database, timeout=0.1, isolation_level=None)) as other:
            try:
                other.execute("UPDATE roles SET description = description")
                other_writer.append("committed")
            except sqlite3.OperationalError:
                other_writer.append("waited")

    with impatient_app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", write_elsewhere)
    try:
        response = client.post("/account/login", data=form)
    finally:
        event.remove(engine, "after_cursor_execute", write_elsewhere)
    assert other_writer == ["waited"]
    assert response.status_code == 200  # the wrong-password page, not 503


def test_a_value_the_database_refuses_is_a_clear_400_not_a_500(app):
    from psycopg.errors import UntranslatableCharacter

    from casebank.errors import value_refused

    error = DataError("INSERT", {}, UntranslatableCharacter("NUL"))
    with app.test_request_context("/partner/cases/new", method="POST"):
        body, status = value_refused(error)
    assert status == 400 and "cannot be stored" in body
