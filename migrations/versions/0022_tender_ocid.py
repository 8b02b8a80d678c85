"""tenders keep the ocid of the OCDS contracting process they were imported from

Revision ID: 0022_tender_ocid
Revises: 0020_plans
Create Date: 2026-12-07 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_tender_ocid"
down_revision = "0021_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ocid", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_tenders_ocid"), ["ocid"])


def downgrade():
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_tenders_ocid"), type_="unique")
        batch_op.drop_column("ocid")
