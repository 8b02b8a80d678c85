"""search_lexemes: the indexed words, for typo tolerance on PostgreSQL (pg_trgm, fuzzystrmatch)

Revision ID: 0023_search_lexemes
Revises: 0020_plans
Create Date: 2026-12-07 02:30:00
"""

from alembic import op

revision = "0023_search_lexemes"
down_revision = "0022_tender_ocid"
branch_labels = None
depends_on = None


def upgrade():
    # PostgreSQL only: on SQLite Whoosh is the engine and reads its own word list.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS fuzzystrmatch")
    op.execute("CREATE TABLE search_lexemes (term text NOT NULL, CONSTRAINT pk_search_lexemes PRIMARY KEY (term))")
    op.execute(
        "INSERT INTO search_lexemes (term) SELECT DISTINCT unnest(tsvector_to_array(vector)) "
        "FROM search_documents WHERE vector IS NOT NULL ON CONFLICT DO NOTHING"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TABLE IF EXISTS search_lexemes")
    op.execute("DROP EXTENSION IF EXISTS fuzzystrmatch")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
