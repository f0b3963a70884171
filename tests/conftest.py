"""Fixtures: an app on a database built by the Alembic migrations, demo data loaded once,
and every test inside a transaction that is rolled back afterwards.

The suite runs on SQLite by default and on PostgreSQL when CASEBANK_TEST_DATABASE_URL is set.
"""

import os
import shutil
from urllib.parse import quote

import pytest
from flask import g
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from casebank import create_app
from casebank.extensions import db as _db
from casebank.extensions import limiter
from casebank.search import apply_outbox, rebuild
from casebank.search.engine import SearchIndexes
from casebank.services import accounts
from casebank.services.demo import load_demo
from tests.auth_actions import AuthActions, create_role_users


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    os.environ["CASEBANK_DATA_DIR"] = str(path)
    return path


def fresh_globals_per_request():
    """Tests keep an app context open (for db.session), and Flask then reuses it for every
    request, sharing `g` (where Flask-Login caches the user) between test clients. In
    production each request has its own; give each test request a clean one too."""
    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture(scope="session")
def app(data_dir):
    app = create_app("testing", {"WTF_CSRF_ENABLED": True})
    app.before_request_funcs.setdefault(None, []).insert(0, fresh_globals_per_request)
    with app.app_context():
        downgrade(revision="base")  # a PostgreSQL database may hold an earlier run's schema
        upgrade()
        load_demo()
        _db.session.commit()
        with app.test_request_context():
            create_role_users(app, accounts, _db)
        rebuild()  # the session's search index, in the data directory
        _db.session.remove()
    yield app
    app.extensions["casebank.search"].close()
    with app.app_context():
        _db.engine.dispose()  # close pooled connections before the interpreter does


@pytest.fixture(autouse=True)
def db(request, app):
    """The database, in a transaction rolled back after the test (commits become savepoints)."""
    if "no_db" in request.keywords:
        yield None
        return
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        original = _db.session
        _db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def session_app_extensions(app):
    """Flask-Security and Flask-Limiter each have one object per process, and init_app() on a
    test's second app reconfigures it (another encryption key: other TOTP secrets; Redis for
    rate limits); give both back to the session's app after each test."""
    shared = (app.extensions["security"], limiter)
    saved = [dict(vars(extension)) for extension in shared]
    yield
    for extension, state in zip(shared, saved, strict=True):
        vars(extension).update(state)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """Each test starts with empty rate-limit counters (tests log in often)."""
    with app.app_context():
        limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(app, client):
    return AuthActions(app, client)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


SCRATCH_SCHEMA = "casebank_scratch"


@pytest.fixture
def scratch_url(app, tmp_path):
    """An empty database of the suite's kind: a new SQLite file or a PostgreSQL schema."""
    yield from empty_database(app, tmp_path, SCRATCH_SCHEMA)


def empty_database(app, tmp_path, name):
    """Yield the URL of an empty database named name (SQLite file, or PostgreSQL schema in the
    suite's database), dropped afterwards: a fixture's body."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / (name + '.db')}"
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {name}"))
    yield url.render_as_string(hide_password=False) + (
        ("&" if url.query else "?") + "options=" + quote(f"-csearch_path={name}")
    )
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
    engine.dispose()


@pytest.fixture(autouse=True)
def search_index(request, app, tmp_path):
    """This test's own copy of the session's search index: the database rolls back after each
    test, files do not, so a test that commits must not change what later tests search.

    A test without the rolled-back transaction (no_db) that commits for real (other hosts, the
    fault tests) leaves change-feed rows behind: the session's index applies them afterwards,
    as a host would, so later tests start from an index that has caught up."""
    copy = tmp_path / "index"
    shutil.copytree(app.config["INDEX_DIR"], copy, symlinks=True)
    original = app.extensions["casebank.search"]
    indexes = SearchIndexes(copy, app.config["ENCRYPTION_KEY"])
    app.extensions["casebank.search"] = indexes
    try:
        yield indexes
    finally:
        indexes.close()
        app.extensions["casebank.search"] = original
        if "no_db" in request.keywords:
            with app.app_context():
                apply_outbox()
