"""casebank: seizure and prosecution case studies for customs and treaty enforcement."""

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import load_config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config_name=None, overrides=None):
    app = Flask(__name__)
    app.config.from_object(load_config(config_name))
    app.config.update(overrides or {})
    app.config["DATA_DIR"].mkdir(parents=True, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    return app


def register_extensions(app):
    from casebank import models, search  # noqa: F401 - tables to migrate; index outbox events
    from casebank.auth.permissions import enforce_endpoint_rule
    from casebank.auth.security import init_security
    from casebank.auth.sessions import register_session_timeouts
    from casebank.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    # Order matters: end stale sessions, then apply access rules, then check CSRF tokens,
    # so a visitor without access gets the same 404 whatever they send.
    register_session_timeouts(app)
    app.before_request(enforce_endpoint_rule)
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app)

    @app.after_request
    def commit_request(response):
        # Services only flush; a request that succeeded commits its work once, here.
        if response.status_code < 400:
            db.session.commit()
        return response


def register_blueprints(app):
    from casebank import admin, api, cli, editorial, health, partner, public, restricted
    from casebank.auth import views as account
    from casebank.auth.rate_limits import limit_security_views

    blueprints = (
        public.bp, restricted.bp, editorial.bp, partner.bp, admin.bp, account.bp, health.bp, api.bp
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
    from casebank.templating import register

    register(app)


@event.listens_for(Engine, "connect")
def sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys like PostgreSQL; let SQLAlchemy own transactions so
    savepoints work (the pysqlite driver's own transaction handling breaks them); WAL and a
    busy timeout so the web server and a CLI command can work on one database at once."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
