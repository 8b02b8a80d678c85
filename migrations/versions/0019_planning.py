"""tender calendar: planned tenders with their MVI themes, and interest in buying together

Revision ID: 0019_planning
Revises: 0018_monitor_indexes
Create Date: 2026-12-06 23:45:53
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_planning"
down_revision = "0018_monitor_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "planned_tenders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("product_group_id", sa.Integer(), nullable=False),
        sa.Column("cpv_code", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("contract_start", sa.Date(), nullable=True),
        sa.Column("value_min", sa.BigInteger(), nullable=True),
        sa.Column("value_max", sa.BigInteger(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("contact_role", sa.String(length=120), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("tender_id", sa.Integer(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "visibility != 'group' OR group_id IS NOT NULL",
            name=op.f("ck_planned_tenders_group_needed"),
        ),
        sa.CheckConstraint(
            "visibility in ('public', 'members', 'group')",
            name=op.f("ck_planned_tenders_visibility"),
        ),
        sa.CheckConstraint(
            "quarter >= 1 AND quarter <= 4", name=op.f("ck_planned_tenders_quarter")
        ),
        sa.CheckConstraint(
            "value_max IS NULL OR (value_min IS NOT NULL AND value_max >= value_min)",
            name=op.f("ck_planned_tenders_value_range"),
        ),
        sa.CheckConstraint(
            "value_min IS NULL OR value_min >= 0", name=op.f("ck_planned_tenders_value_min")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_planned_tenders_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["working_groups.id"],
            name=op.f("fk_planned_tenders_group_id_working_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_planned_tenders_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_group_id"],
            ["product_groups.id"],
            name=op.f("fk_planned_tenders_product_group_id_product_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_planned_tenders_region_id_regions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tender_id"],
            ["items.id"],
            name=op.f("fk_planned_tenders_tender_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_planned_tenders_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_tenders")),
        sa.UniqueConstraint(
            "organisation_id",
            "reference",
            name=op.f("uq_planned_tenders_organisation_id_reference"),
        ),
        sa.UniqueConstraint("tender_id", name=op.f("uq_planned_tenders_tender_id")),
    )
    with op.batch_alter_table("planned_tenders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_planned_tenders_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_planned_tenders_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index("ix_planned_tenders_period", ["year", "quarter"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_planned_tenders_product_group_id"), ["product_group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_tenders_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "planned_tender_interests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status in ('pending', 'accepted', 'declined')",
            name=op.f("ck_planned_tender_interests_status"),
        ),
        sa.CheckConstraint(
            "source_id != target_id", name=op.f("ck_planned_tender_interests_two_tenders")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_planned_tender_interests_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_planned_tender_interests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["planned_tenders.id"],
            name=op.f("fk_planned_tender_interests_source_id_planned_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["planned_tenders.id"],
            name=op.f("fk_planned_tender_interests_target_id_planned_tenders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planned_tender_interests")),
        sa.UniqueConstraint(
            "source_id", "target_id", name=op.f("uq_planned_tender_interests_source_id_target_id")
        ),
    )
    with op.batch_alter_table("planned_tender_interests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planned_tender_interests_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planned_tender_interests_target_id"), ["target_id"], unique=False
        )

    op.create_table(
        "planned_tender_themes",
        sa.Column("planned_tender_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["planned_tender_id"],
            ["planned_tenders.id"],
            name=op.f("fk_planned_tender_themes_planned_tender_id_planned_tenders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["themes.id"],
            name=op.f("fk_planned_tender_themes_theme_id_themes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "planned_tender_id", "theme_id", name=op.f("pk_planned_tender_themes")
        ),
    )


def downgrade():
    op.drop_table("planned_tender_themes")
    with op.batch_alter_table("planned_tender_interests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_tender_interests_target_id"))
        batch_op.drop_index(batch_op.f("ix_planned_tender_interests_source_id"))

    op.drop_table("planned_tender_interests")
    with op.batch_alter_table("planned_tenders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planned_tenders_region_id"))
        batch_op.drop_index(batch_op.f("ix_planned_tenders_product_group_id"))
        batch_op.drop_index("ix_planned_tenders_period")
        batch_op.drop_index(batch_op.f("ix_planned_tenders_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_planned_tenders_group_id"))

    op.drop_table("planned_tenders")
