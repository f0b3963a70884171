"""content generation: a token renewed by every transaction that changes the site's content

The key of the pages kept rendered for anonymous visitors (casebank/page_cache.py).

Revision ID: e7a9c0de0001
Revises: d0c13f00a001
Create Date: 2026-12-03 05:40:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "e7a9c0de0001"
down_revision = "d0c13f00a001"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "content_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.randbits(62)}])


def downgrade():
    op.drop_table("content_generation")
