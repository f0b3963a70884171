"""documents' extracted text; the index outbox carries documents too

Revision ID: 68cbc8e96633
Revises: 15e2ff0707af
Create Date: 2026-11-28 21:01:09.879829

documents.extracted_text holds a document's words for search, sealed like other free text
(NULL: not extracted yet; "": nothing to extract). index_outbox rows now name a case study or
a document, exactly one of the two.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "68cbc8e96633"
down_revision = "15e2ff0707af"
branch_labels = None
depends_on = None

ONE_TARGET = "(case_study_id IS NULL) <> (document_id IS NULL)"


def upgrade():
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extracted_text", sa.LargeBinary(), nullable=True))

    # No foreign key to documents, like case_study_id: the row must outlive a deleted document.
    with op.batch_alter_table("index_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        batch_op.alter_column("case_study_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_index_outbox_document_id"), ["document_id"], unique=False
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_index_outbox_one_case_or_document"), ONE_TARGET
        )


def downgrade():
    # Queued document changes cannot be kept in a table without document_id; the documents
    # are not indexed at that revision anyway.
    op.execute("DELETE FROM index_outbox WHERE document_id IS NOT NULL")
    with op.batch_alter_table("index_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_index_outbox_one_case_or_document"), type_="check")
        batch_op.drop_index(batch_op.f("ix_index_outbox_document_id"))
        batch_op.alter_column("case_study_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("document_id")

    # Never recreate documents on SQLite: with foreign keys on, dropping the old table would
    # cascade to risk_indicators. ALTER TABLE DROP COLUMN (SQLite 3.35+) does it in place.
    with op.batch_alter_table("documents", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("extracted_text")
