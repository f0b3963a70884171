"""documents, attachments and risk indicators

Revision ID: 06fbdde8ed75
Revises: f908da182112
Create Date: 2026-11-28 18:53:43.019867

One table for every stored file (documents: metadata, free text encrypted; the bytes live in
the file store), and a 1:1 risk_indicators table (sharing the document's id) for the documents
of kind risk_indicator, with links to conventions, HS codes and the case studies that show
the indicators in action.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "06fbdde8ed75"
down_revision = "f908da182112"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.LargeBinary(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "risk_indicator",
                "guidance",
                "report",
                "legal_text",
                "image",
                "other",
                name="documentkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "access_level",
            sa.Enum(
                "public",
                "restricted",
                name="accesslevel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "language",
            sa.Enum(
                "en",
                "fr",
                "es",
                name="language",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "published",
                name="documentstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("original_filename", sa.LargeBinary(), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_documents_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_documents_case_study_id_case_studies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_documents_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_documents_stored_name")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_documents_access_level"), ["access_level"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_documents_case_study_id"), ["case_study_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_documents_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_status"), ["status"], unique=False)

    op.create_table(
        "risk_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicators", sa.LargeBinary(), nullable=False),
        sa.Column("last_reviewed_date", sa.Date(), nullable=False),
        sa.Column("review_due_date", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "review_due_date >= last_reviewed_date",
            name=op.f("ck_risk_indicators_review_due_after_review"),
        ),
        sa.ForeignKeyConstraint(
            ["id"],
            ["documents.id"],
            name=op.f("fk_risk_indicators_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_indicators")),
    )
    with op.batch_alter_table("risk_indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_indicators_review_due_date"), ["review_due_date"], unique=False
        )

    op.create_table(
        "risk_indicator_case_studies",
        sa.Column("risk_indicator_id", sa.Integer(), nullable=False),
        sa.Column("case_study_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_study_id"],
            ["case_studies.id"],
            name=op.f("fk_risk_indicator_case_studies_case_study_id_case_studies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["risk_indicator_id"],
            ["risk_indicators.id"],
            name=op.f("fk_risk_indicator_case_studies_risk_indicator_id_risk_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "risk_indicator_id", "case_study_id", name=op.f("pk_risk_indicator_case_studies")
        ),
    )
    op.create_table(
        "risk_indicator_conventions",
        sa.Column("risk_indicator_id", sa.Integer(), nullable=False),
        sa.Column("convention_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["convention_id"],
            ["conventions.id"],
            name=op.f("fk_risk_indicator_conventions_convention_id_conventions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["risk_indicator_id"],
            ["risk_indicators.id"],
            name=op.f("fk_risk_indicator_conventions_risk_indicator_id_risk_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "risk_indicator_id", "convention_id", name=op.f("pk_risk_indicator_conventions")
        ),
    )
    op.create_table(
        "risk_indicator_hs_codes",
        sa.Column("risk_indicator_id", sa.Integer(), nullable=False),
        sa.Column("hs_code_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hs_code_id"],
            ["hs_codes.id"],
            name=op.f("fk_risk_indicator_hs_codes_hs_code_id_hs_codes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["risk_indicator_id"],
            ["risk_indicators.id"],
            name=op.f("fk_risk_indicator_hs_codes_risk_indicator_id_risk_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "risk_indicator_id", "hs_code_id", name=op.f("pk_risk_indicator_hs_codes")
        ),
    )


def downgrade():
    op.drop_table("risk_indicator_hs_codes")
    op.drop_table("risk_indicator_conventions")
    op.drop_table("risk_indicator_case_studies")
    with op.batch_alter_table("risk_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_indicators_review_due_date"))

    op.drop_table("risk_indicators")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_status"))
        batch_op.drop_index(batch_op.f("ix_documents_kind"))
        batch_op.drop_index(batch_op.f("ix_documents_case_study_id"))
        batch_op.drop_index(batch_op.f("ix_documents_access_level"))

    op.drop_table("documents")
