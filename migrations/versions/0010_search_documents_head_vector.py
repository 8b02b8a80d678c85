"""search documents: a small head vector (title, summary, taxonomy) for tiered ranking

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 23:05:00

PostgreSQL only. When a query's words match many texts, the engine first ranks the texts whose
title, summary or taxonomy terms match (a small vector that is read cheaply), and only reaches
for the whole text when those are too few.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

HEAD = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', summary || ' ' || taxonomy), 'B')"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE search_documents ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ({HEAD}) STORED"
    )
    op.execute("CREATE INDEX ix_search_documents_head ON search_documents USING gin (head_vector)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_head")
    op.execute("ALTER TABLE search_documents DROP COLUMN head_vector")
