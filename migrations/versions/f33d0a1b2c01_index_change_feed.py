"""index change feed: positions in commit order, and how far each host has applied them

Revision ID: f33d0a1b2c01
Revises: c41d7e2a9b60
Create Date: 2026-12-03 02:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f33d0a1b2c01"
down_revision = "c41d7e2a9b60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("index_outbox") as batch:
        batch.add_column(sa.Column("position", sa.BigInteger(), nullable=True))
        batch.create_unique_constraint(op.f("uq_index_outbox_position"), ["position"])
    op.create_table(
        "index_positions",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("host", name=op.f("pk_index_positions")),
    )


def downgrade():
    op.drop_table("index_positions")
    with op.batch_alter_table("index_outbox") as batch:
        batch.drop_constraint("uq_index_outbox_position", type_="unique")
        batch.drop_column("position")
