"""trust: outbox, moderator-hidden items, slug redirects, co-owner invitations, external ids

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:30:00

- `outbox`: side effects (index updates, mail) written in the transaction that causes them and
  delivered after commit or by the worker (`flask outbox work`), retried with back-off.
- `items.hidden_at` / `hidden_reason`: a moderator's hide, apart from the author's status.
- `slug_redirects`: earlier slugs of an item, answered with a redirect.
- `co_owner_invitations`: a co-owner becomes one only when the organisation accepts.
- `items.external_id`: every item gets one (existing rows are filled in), never empty again.
- `search_documents.content_hash`: what was indexed, so a stale document can be found.
"""

from uuid import uuid4

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_pending", "outbox", ["delivered_at", "available_at"], unique=False)
    op.create_table(
        "slug_redirects",
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_slug_redirects_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("old_slug", name=op.f("pk_slug_redirects")),
    )
    op.create_index(op.f("ix_slug_redirects_item_id"), "slug_redirects", ["item_id"], unique=False)
    op.create_table(
        "co_owner_invitations",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_co_owner_invitations_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_co_owner_invitations_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["users.id"],
            name=op.f("fk_co_owner_invitations_invited_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("item_id", "organisation_id", name=op.f("pk_co_owner_invitations")),
    )
    with op.batch_alter_table("search_documents") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    items = sa.table("items", sa.column("id", sa.Integer), sa.column("external_id", sa.String))
    for (item_id,) in connection.execute(
        sa.select(items.c.id).where(items.c.external_id.is_(None))
    ).all():
        connection.execute(
            items.update().where(items.c.id == item_id).values(external_id=f"mvi-{uuid4()}")
        )
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("hidden_reason", sa.Text(), server_default="", nullable=False))
        batch.alter_column("external_id", existing_type=sa.String(length=100), nullable=False)


def downgrade():
    with op.batch_alter_table("items") as batch:
        batch.alter_column("external_id", existing_type=sa.String(length=100), nullable=True)
        batch.drop_column("hidden_reason")
        batch.drop_column("hidden_at")
    with op.batch_alter_table("search_documents") as batch:
        batch.drop_column("content_hash")
    op.drop_table("co_owner_invitations")
    op.drop_index(op.f("ix_slug_redirects_item_id"), table_name="slug_redirects")
    op.drop_table("slug_redirects")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
