"""server-side sessions: Flask-Session's store and the registry of users' live sessions

Revision ID: 3c5e8a1f2b7d
Revises: 68cbc8e96633
Create Date: 2026-12-02 17:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3c5e8a1f2b7d"
down_revision = "68cbc8e96633"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "session_store",
        sa.Column("store_id", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_session_store")),
    )
    with op.batch_alter_table("session_store", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_store_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=43), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("handle", name=op.f("uq_user_sessions_handle")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
    with op.batch_alter_table("session_store", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_store_expires_at"))
    op.drop_table("session_store")
