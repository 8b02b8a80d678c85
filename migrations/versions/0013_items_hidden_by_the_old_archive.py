"""items hidden before 0012: a moderator's hide then archived the item; make it a real hide

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:00:00

Before migration 0012 "Verbergen" set an item's status to archived, which its author could undo
and which left the item readable. An archived item whose latest item-level moderation decision
(hide or restore) is a hide was archived that way: it gets `hidden_at` (the decision's time) and
`hidden_reason` (its note), and its status goes back to published, as it was before the hide, so a
moderator's restore brings it back as it was. Data only; the downgrade leaves the rows as they are.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    items = sa.table(
        "items",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("hidden_at", sa.DateTime(timezone=True)),
        sa.column("hidden_reason", sa.Text),
    )
    log = sa.table(
        "moderation_log",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("item_id", sa.Integer),
        sa.column("answer_id", sa.Integer),
        sa.column("note", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    decisions = connection.execute(
        sa.select(log.c.item_id, log.c.action, log.c.note, log.c.created_at)
        .where(
            log.c.item_id.is_not(None),
            log.c.answer_id.is_(None),
            log.c.action.in_(["hide", "restore"]),
        )
        .order_by(log.c.id)
    ).all()
    latest = {}
    for item_id, action, note, created_at in decisions:
        latest[item_id] = (action, note, created_at)
    for item_id, (action, note, created_at) in latest.items():
        if action != "hide":
            continue
        connection.execute(
            items.update()
            .where(items.c.id == item_id, items.c.status == "archived", items.c.hidden_at.is_(None))
            .values(status="published", hidden_at=created_at, hidden_reason=note or "")
        )


def downgrade():
    pass
