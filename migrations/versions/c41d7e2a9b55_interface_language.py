"""interface language of users and access requests (their e-mails are written in it)

Revision ID: c41d7e2a9b55
Revises: 9f8492218d9c
Create Date: 2026-12-02 20:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c41d7e2a9b55"
down_revision = "9f8492218d9c"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("users", "access_requests"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade():
    for table in ("access_requests", "users"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("language")
