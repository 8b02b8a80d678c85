"""action plans: a knowledge kind with ambitions, goals, measurements and actions, linked to the
tenders, criteria and lessons that carry them out

Revision ID: 0020_plans
Revises: 0019_planning
Create Date: 2026-12-06 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_plans"
down_revision = "0019_planning"
branch_labels = None
depends_on = None

OLD = "relation in ('used_in', 'preceded', 'about')"
NEW = "relation in ('used_in', 'preceded', 'about', 'carried_out_by')"


def upgrade():
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Integer(), nullable=True),
        sa.Column("period_end", sa.Integer(), nullable=True),
        sa.Column("ambitions", sa.JSON(), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("copied_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["copied_from_id"],
            ["items.id"],
            name=op.f("fk_plans_copied_from_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["items.id"], name=op.f("fk_plans_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_index(op.f("ix_plans_copied_from_id"), "plans", ["copied_from_id"], unique=False)
    with op.batch_alter_table("item_links") as batch:
        batch.drop_constraint(op.f("ck_item_links_relation"), type_="check")
        batch.create_check_constraint(op.f("ck_item_links_relation"), NEW)


def downgrade():
    op.execute("DELETE FROM item_links WHERE relation = 'carried_out_by'")
    with op.batch_alter_table("item_links") as batch:
        batch.drop_constraint(op.f("ck_item_links_relation"), type_="check")
        batch.create_check_constraint(op.f("ck_item_links_relation"), OLD)
    op.drop_index(op.f("ix_plans_copied_from_id"), table_name="plans")
    op.execute("DELETE FROM items WHERE kind = 'plan'")
    op.drop_table("plans")
