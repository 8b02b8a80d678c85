"""tenders: instruments for the search facet

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 22:10:00

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("instruments", sa.String(length=200), server_default="", nullable=False)
        )
    # Fill it from each tender's MVI rows, as the service does on every save.
    connection = op.get_bind()
    tenders = sa.table(
        "tenders", sa.column("id", sa.Integer), sa.column("mvi", sa.JSON),
        sa.column("instruments", sa.String),
    )  # fmt: skip
    for tender_id, mvi in connection.execute(sa.select(tenders.c.id, tenders.c.mvi)).all():
        rows = json.loads(mvi) if isinstance(mvi, str) else (mvi or [])
        slugs = " ".join(sorted({r["instrument"] for r in rows if r.get("instrument")}))
        if slugs:
            connection.execute(
                tenders.update().where(tenders.c.id == tender_id).values(instruments=slugs)
            )


def downgrade():
    with op.batch_alter_table("tenders", schema=None) as batch_op:
        batch_op.drop_column("instruments")
