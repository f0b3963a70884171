"""The Alembic migrations build the schema from empty, match the models, and tear it down.

Runs on a scratch database of the same kind as the suite's: a new SQLite file, or a scratch
schema in the PostgreSQL test database.
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from casebank import create_app
from casebank.extensions import db

pytestmark = pytest.mark.no_db


def test_upgrade_from_empty_matches_models_and_downgrades_to_base(scratch_url):
    scratch = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_url})
    with scratch.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            tables = set(inspect(conn).get_table_names())
        assert diff == [], f"models and migrations differ: {diff}"
        assert set(db.metadata.tables) <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
