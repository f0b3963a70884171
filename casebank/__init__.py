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
    from casebank.extensions import csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)


def register_blueprints(app):
    from casebank import api, cli, health, public, restricted
    from casebank.auth.permissions import enforce_endpoint_rule

    app.before_request(enforce_endpoint_rule)
    for blueprint in (public.bp, restricted.bp, health.bp, api.bp):
        app.register_blueprint(blueprint)
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
    """SQLite: enforce foreign keys like PostgreSQL, and let SQLAlchemy own transactions so
    savepoints work (the pysqlite driver's own transaction handling breaks them)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
