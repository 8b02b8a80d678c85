"""search documents: a stored tsvector column (PostgreSQL only)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 22:40:00

The weighted tsvector is stored once per document instead of being recomputed from the text for
every match, and ANALYZE keeps its most common lexemes in pg_stats, which the engine reads to
treat very frequent words as re-ranking only.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VECTOR = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', summary || ' ' || taxonomy), 'B') || "
    "setweight(to_tsvector('simple', body), 'C') || "
    "setweight(to_tsvector('simple', attachments), 'D')"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_fts")
    op.execute(
        f"ALTER TABLE search_documents ADD COLUMN vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_documents_vector")
    op.execute("ALTER TABLE search_documents DROP COLUMN vector")
    op.execute(f"CREATE INDEX ix_search_documents_fts ON search_documents USING gin (({VECTOR}))")
