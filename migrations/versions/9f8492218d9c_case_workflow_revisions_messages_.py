"""case workflow: revisions, messages, version, assigned editor; drafts may be incomplete

Revision ID: 9f8492218d9c
Revises: b7e4c2a9d1f3
Create Date: 2026-12-02 17:34:20.863360

case_revisions keeps every save of a case study (its record sealed like the case's free text);
case_messages holds the conversation with the submitting organisation and editors' internal
notes. case_studies gains version (the latest revision's number, for the stale-edit check) and
assigned_editor_id; the fields a draft may still lack become nullable (submitting checks them).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9f8492218d9c"
down_revision = "b7e4c2a9d1f3"
branch_labels = None
depends_on = None

DRAFT_OPTIONAL = (
    "title",
    "summary",
    "narrative",
    "seizure_date",
    "country",
    "commodity_category",
    "detection_method",
)


def upgrade():
    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_case_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_case_messages_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_messages")),
    )
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_messages_case_study_id"), ["case_study_id"], unique=False
        )

    op.create_table(
        "case_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("change_note", sa.LargeBinary(), nullable=True),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_case_revisions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_case_revisions_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_revisions")),
        sa.UniqueConstraint(
            "case_study_id", "number", name=op.f("uq_case_revisions_case_study_id")
        ),
    )
    with op.batch_alter_table("case_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_revisions_case_study_id"), ["case_study_id"], unique=False
        )

    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_editor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
        batch_op.alter_column("title", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("summary", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("narrative", existing_type=sa.LargeBinary(), nullable=True)
        batch_op.alter_column("seizure_date", existing_type=sa.DATE(), nullable=True)
        batch_op.alter_column("country", existing_type=sa.VARCHAR(length=2), nullable=True)
        batch_op.alter_column(
            "commodity_category", existing_type=sa.VARCHAR(length=32), nullable=True
        )
        batch_op.alter_column(
            "detection_method", existing_type=sa.VARCHAR(length=32), nullable=True
        )
        batch_op.create_index(
            batch_op.f("ix_case_studies_assigned_editor_id"), ["assigned_editor_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_case_studies_assigned_editor_id_users"),
            "users",
            ["assigned_editor_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    # The earlier schema cannot hold incomplete drafts: they go (with their revisions).
    cases = sa.table("case_studies", *(sa.column(c) for c in DRAFT_OPTIONAL))
    op.execute(sa.delete(cases).where(sa.or_(*(cases.c[c].is_(None) for c in DRAFT_OPTIONAL))))
    with op.batch_alter_table("case_studies", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_case_studies_assigned_editor_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_case_studies_assigned_editor_id"))
        batch_op.alter_column(
            "detection_method", existing_type=sa.VARCHAR(length=32), nullable=False
        )
        batch_op.alter_column(
            "commodity_category", existing_type=sa.VARCHAR(length=32), nullable=False
        )
        batch_op.alter_column("country", existing_type=sa.VARCHAR(length=2), nullable=False)
        batch_op.alter_column("seizure_date", existing_type=sa.DATE(), nullable=False)
        batch_op.alter_column("narrative", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("summary", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.alter_column("title", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("version")
        batch_op.drop_column("assigned_editor_id")

    with op.batch_alter_table("case_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_revisions_case_study_id"))

    op.drop_table("case_revisions")
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_messages_case_study_id"))

    op.drop_table("case_messages")
