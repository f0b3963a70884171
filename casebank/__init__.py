"""casebank: seizure and prosecution case studies for customs and treaty enforcement."""

from pathlib import Path

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from casebank.access_log import install_werkzeug_filter
from casebank.request_numbers import register_converters
from config import load_config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config_name=None, overrides=None):
    app = Flask(__name__)
    app.config.from_object(load_config(config_name))
    app.config.update(overrides or {})
    app.config["DATA_DIR"].mkdir(parents=True, exist_ok=True)
    register_logging(app)
    register_metrics(app)
    register_converters(app)  # before any route is added: they bind their converters then
    install_werkzeug_filter()  # the development server's access log: paths without queries
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = behind_proxies(app.wsgi_app, app.config["PROXY_COUNT"])
    return app


def register_logging(app):
    from casebank.app_logging import register_logging as register

    register(app)


def register_metrics(app):
    from casebank.metrics import register_metrics as register

    register(app)


def behind_proxies(wsgi_app, count):
    """The client's address and scheme from the headers of `count` trusted proxies."""
    return ProxyFix(wsgi_app, x_for=count, x_proto=count)


def register_extensions(app):
    from casebank import models, search  # noqa: F401 - tables to migrate; index outbox events
    from casebank.auth.permissions import enforce_endpoint_rule
    from casebank.auth.security import init_security
    from casebank.auth.sessions import register_sessions
    from casebank.auth.tokens import register_tokens
    from casebank.extensions import csrf, db, limiter, migrate
    from casebank.request_text import refuse_nul_in_path

    db.init_app(app)
    with app.app_context():
        event.listen(db.engine, "connect", lock_timeouts(app.config["DATABASE_BUSY_TIMEOUT"]))
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    # Order matters: end stale sessions, then apply access rules, then check CSRF tokens,
    # so a visitor without access gets the same 404 whatever they send.
    app.before_request(refuse_nul_in_path)
    register_sessions(app)
    register_tokens(app)  # an API token, before the access rules
    app.before_request(enforce_endpoint_rule)
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app)

    @app.after_request
    def commit_request(response):
        # Services only flush; a request that succeeded commits its work once, here. A failed
        # one rolls back here, so the session store's own write afterwards carries nothing else.
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


def register_blueprints(app):
    from casebank import (
        admin,
        api,
        cli,
        editorial,
        health,
        judging,
        metrics,
        partner,
        public,
        restricted,
        saved_searches,
    )
    from casebank.auth import views as account
    from casebank.auth.rate_limits import limit_security_views

    blueprints = (
        public.bp, restricted.bp, editorial.bp, partner.bp, admin.bp, account.bp, health.bp, api.bp,
        metrics.bp,
        saved_searches.bp,
        judging.bp,
    )  # fmt: skip
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    limit_security_views(app)
    app.cli.add_command(cli.casebank)


def register_errorhandlers(app):
    from casebank.errors import register_errorhandlers as register
    from casebank.security_headers import register_security_headers

    register(app)
    register_security_headers(app)


def register_template_helpers(app):
    from casebank import i18n, templating

    i18n.register(app)
    templating.register(app)


@event.listens_for(Engine, "connect")
def sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys like PostgreSQL; let SQLAlchemy own transactions so
    savepoints work (the pysqlite driver's own transaction handling breaks them); WAL (kept in
    the file) so the web server and a CLI command can read while the other writes.

    synchronous=NORMAL: in WAL mode a commit is then not flushed to the disk until the next
    checkpoint. A killed process loses nothing committed and the file never corrupts; a power
    loss may undo the last commits. FULL spent 4-5 ms of fsync on every commit, and on SQLite
    an officer's audited page holds the one write lock for its whole request."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def lock_timeouts(seconds):
    """A connect listener: wait this long for another writer's lock, then fail (errors.py
    answers 503). Every new connection of the app's engine gets it."""
    milliseconds = int(seconds * 1000)

    def on_connect(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor.execute(f"PRAGMA busy_timeout={milliseconds}")
        else:
            cursor.execute(f"SET lock_timeout = {milliseconds}")
            dbapi_connection.commit()
        cursor.close()

    return on_connect


@event.listens_for(Engine, "begin")
def sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        immediate = changing_request()
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        if immediate:
            g.holds_sqlite_write_lock = True  # another connection of ours would wait on it


def changing_request():
    """SQLite in WAL mode fails a transaction that read and then writes after another connection
    committed ("database is locked" at once: the busy timeout does not apply), which a CLI
    import committing batch by batch made likely for a login. A request that changes things
    takes the write lock when its transaction begins, so it waits for the other writer instead.
    Reads (GET) do not, so they never queue behind a writer; but an API read with a token
    writes (the token's last use, an officer's audit event), and so does a logged-in reader's
    page that audits (the restricted area, an officer's search and its export), so they
    do: under load, two officers' pages otherwise answered 503 on SQLite (bench/load.py)."""
    if not has_request_context():
        return False
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        return True
    if request.path.startswith("/api/"):
        return "Authorization" in request.headers
    member = current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    return member and request.path.startswith(AUDITED_READS)


# Pages whose reading by a logged-in member may write an audit event (see changing_request).
AUDITED_READS = ("/restricted/", "/search")
