"""The Alembic migrations build the schema from empty, match the models, and tear it down.

Runs on a scratch database of the same kind as the suite's: a new SQLite file, or a scratch
schema in the PostgreSQL test database.
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

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


def scratch_app_at_head(scratch_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_url})
    with app.app_context():
        upgrade()
    return app


@pytest.mark.parametrize(
    "ids", [{"case_study_id": 1, "document_id": 2}, {"case_study_id": None, "document_id": None}]
)
def test_an_outbox_row_names_exactly_one_case_study_or_document(scratch_url, ids):
    app = scratch_app_at_head(scratch_url)
    insert = text(
        "INSERT INTO index_outbox (case_study_id, document_id, queued_at)"
        " VALUES (:case_study_id, :document_id, CURRENT_TIMESTAMP)"
    )
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(insert, {"case_study_id": 1, "document_id": None})
            conn.execute(insert, {"case_study_id": None, "document_id": 2})
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(insert, ids)
        db.engine.dispose()


DOCUMENT_ROW = text(
    "INSERT INTO documents (id, title, kind, access_level, language, status,"
    " original_filename, stored_name, media_type, size_bytes, sha256, created_at, updated_at)"
    " VALUES (7, :blob, 'risk_indicator', 'restricted', 'en', 'draft', :blob, 'x', 'text/plain',"
    " 1, 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def test_downgrading_extracted_text_keeps_documents_and_their_risk_indicators(scratch_url):
    """SQLite recreates a table to drop a column, and dropping the old documents table would
    cascade to risk_indicators: the migration drops the column in place instead."""
    app = scratch_app_at_head(scratch_url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(DOCUMENT_ROW, {"blob": b"sealed"})
            conn.execute(
                text(
                    "INSERT INTO risk_indicators (id, indicators, last_reviewed_date,"
                    " review_due_date) VALUES (7, :blob, '2026-01-01', '2027-01-01')"
                ),
                {"blob": b"sealed"},
            )
            conn.execute(
                text(
                    "INSERT INTO index_outbox (case_study_id, document_id, queued_at)"
                    " VALUES (NULL, 7, CURRENT_TIMESTAMP), (3, NULL, CURRENT_TIMESTAMP)"
                )
            )
        downgrade(revision="15e2ff0707af")
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM risk_indicators")) == 1
            assert conn.scalar(text("SELECT count(*) FROM documents")) == 1
            assert list(conn.scalars(text("SELECT case_study_id FROM index_outbox"))) == [3]
            assert "extracted_text" not in {
                c["name"] for c in inspect(conn).get_columns("documents")
            }
        db.engine.dispose()
