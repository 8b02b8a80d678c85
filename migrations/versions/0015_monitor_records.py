"""monitor records: every tender an organisation ran (members only), with its MVI rows

Revision ID: 0015
Revises: english_0014
Create Date: 2026-12-06 21:51:24
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "english_0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "monitor_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value_min", sa.BigInteger(), nullable=True),
        sa.Column("value_max", sa.BigInteger(), nullable=True),
        sa.Column("product_group_id", sa.Integer(), nullable=True),
        sa.Column("cpv_code", sa.String(length=20), nullable=False),
        sa.Column("procedure_id", sa.Integer(), nullable=True),
        sa.Column("award_method_id", sa.Integer(), nullable=True),
        sa.Column("mvi_applied", sa.Boolean(), nullable=False),
        sa.Column("realised_percent", sa.Integer(), nullable=True),
        sa.Column("tender_id", sa.Integer(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "realised_percent IS NULL OR (realised_percent >= 0 AND realised_percent <= 100)",
            name=op.f("ck_monitor_records_realised_percent"),
        ),
        sa.CheckConstraint(
            "value_max IS NULL OR (value_min IS NOT NULL AND value_max >= value_min)",
            name=op.f("ck_monitor_records_value_range"),
        ),
        sa.CheckConstraint(
            "value_min IS NULL OR value_min >= 0", name=op.f("ck_monitor_records_value_min")
        ),
        sa.ForeignKeyConstraint(
            ["award_method_id"],
            ["award_methods.id"],
            name=op.f("fk_monitor_records_award_method_id_award_methods"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_monitor_records_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_monitor_records_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["procedures.id"],
            name=op.f("fk_monitor_records_procedure_id_procedures"),
        ),
        sa.ForeignKeyConstraint(
            ["product_group_id"],
            ["product_groups.id"],
            name=op.f("fk_monitor_records_product_group_id_product_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["items.id"],
            name=op.f("fk_monitor_records_tender_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_monitor_records_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_records")),
        sa.UniqueConstraint(
            "organisation_id",
            "reference",
            name=op.f("uq_monitor_records_organisation_id_reference"),
        ),
        sa.UniqueConstraint("tender_id", name=op.f("uq_monitor_records_tender_id")),
    )
    with op.batch_alter_table("monitor_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitor_records_award_method_id"), ["award_method_id"], unique=False
        )
        batch_op.create_index(
            "ix_monitor_records_organisation_year", ["organisation_id", "year"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitor_records_procedure_id"), ["procedure_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitor_records_product_group_id"), ["product_group_id"], unique=False
        )

    op.create_table(
        "monitor_record_mvi",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=True),
        sa.Column("ambition_level_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ambition_level_id"],
            ["ambition_levels.id"],
            name=op.f("fk_monitor_record_mvi_ambition_level_id_ambition_levels"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_monitor_record_mvi_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["monitor_records.id"],
            name=op.f("fk_monitor_record_mvi_record_id_monitor_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["themes.id"], name=op.f("fk_monitor_record_mvi_theme_id_themes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_record_mvi")),
    )
    with op.batch_alter_table("monitor_record_mvi", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitor_record_mvi_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_monitor_record_mvi_theme_id"), ["theme_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("monitor_record_mvi", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitor_record_mvi_theme_id"))
        batch_op.drop_index(batch_op.f("ix_monitor_record_mvi_record_id"))

    op.drop_table("monitor_record_mvi")
    with op.batch_alter_table("monitor_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitor_records_product_group_id"))
        batch_op.drop_index(batch_op.f("ix_monitor_records_procedure_id"))
        batch_op.drop_index("ix_monitor_records_organisation_year")
        batch_op.drop_index(batch_op.f("ix_monitor_records_award_method_id"))

    op.drop_table("monitor_records")
