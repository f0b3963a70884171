"""search index outbox: case studies changed since the search index last caught up

Revision ID: 15e2ff0707af
Revises: 06fbdde8ed75
Create Date: 2026-11-28 18:13:06.003967

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "15e2ff0707af"
down_revision = "06fbdde8ed75"
branch_labels = None
depends_on = None


def upgrade():
    # No foreign key to case_studies: a row must outlive a deleted case study, so the index
    # learns of the deletion.
    op.create_table(
        "index_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_outbox")),
    )
    with op.batch_alter_table("index_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_index_outbox_case_study_id"), ["case_study_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("index_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_outbox_case_study_id"))
    op.drop_table("index_outbox")
