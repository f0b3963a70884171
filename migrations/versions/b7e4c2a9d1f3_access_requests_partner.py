"""access requests: the partner organisation a request for the partner role names

Revision ID: b7e4c2a9d1f3
Revises: a3c9e51f7d20
Create Date: 2026-12-02 18:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e4c2a9d1f3"
down_revision = "a3c9e51f7d20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_access_requests_partner_id_partners"),
            "partners",
            ["partner_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("access_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_access_requests_partner_id_partners"), type_="foreignkey"
        )
        batch_op.drop_column("partner_id")
