"""search documents: the vectors only, the analysed text no longer stored beside them

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 01:10:00

The engine reads only the two tsvectors; the analysed text columns they were generated from made
every row about 4 kB, so a search that scans many rows read three times the pages it needed.
On PostgreSQL the vectors are now computed when a document is written (PostgresEngine.apply),
the full vector is kept out of line (TOAST) and the small head vector in line, so the tiered
ranking reads narrow rows. The rows are copied, so the index stays complete.

On SQLite the table stays unused (Whoosh is the engine there); it loses the same columns.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TEXT_COLUMNS = ("title", "summary", "taxonomy", "body", "attachments")
VECTOR = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', summary || ' ' || taxonomy), 'B') || "
    "setweight(to_tsvector('simple', body), 'C') || "
    "setweight(to_tsvector('simple', attachments), 'D')"
)
HEAD = (
    "setweight(to_tsvector('simple', title), 'A') || "
    "setweight(to_tsvector('simple', summary || ' ' || taxonomy), 'B')"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("search_documents") as batch:
            for column in TEXT_COLUMNS:
                batch.drop_column(column)
        return
    # A new table and a copy: dropped columns would otherwise keep their space in every row.
    op.execute(
        "CREATE TABLE search_documents_new ("
        " item_id integer NOT NULL,"
        " kind varchar(20) NOT NULL,"
        " head_vector tsvector,"
        " vector tsvector"
        ") WITH (toast_tuple_target = 128)"
    )
    # MAIN: compressed but kept in the row (read by every ranking); the full vector goes out of
    # line and is read only for the texts that are ranked on it.
    op.execute("ALTER TABLE search_documents_new ALTER COLUMN head_vector SET STORAGE MAIN")
    op.execute(
        "INSERT INTO search_documents_new (item_id, kind, head_vector, vector) "
        "SELECT item_id, kind, head_vector, vector FROM search_documents"
    )
    op.execute("DROP TABLE search_documents")
    op.execute("ALTER TABLE search_documents_new RENAME TO search_documents")
    op.execute(
        "ALTER TABLE search_documents ADD CONSTRAINT pk_search_documents PRIMARY KEY (item_id)"
    )
    op.execute(
        "ALTER TABLE search_documents ADD CONSTRAINT fk_search_documents_item_id_items "
        "FOREIGN KEY (item_id) REFERENCES items (id) ON DELETE CASCADE"
    )
    op.execute("CREATE INDEX ix_search_documents_head ON search_documents USING gin (head_vector)")
    op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)")
    op.execute("ANALYZE search_documents")


def downgrade():
    """Back to stored text with generated vectors: the text cannot be recovered from the vectors,
    so the documents are emptied; run `flask search reindex` after a downgrade."""
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("search_documents") as batch:
            for column in TEXT_COLUMNS:
                batch.add_column(sa.Column(column, sa.Text(), nullable=False, server_default=""))
        with op.batch_alter_table("search_documents") as batch:
            for column in TEXT_COLUMNS:
                batch.alter_column(column, server_default=None)
        return
    op.execute("DELETE FROM search_documents")
    op.execute("DROP INDEX IF EXISTS ix_search_documents_head")
    op.execute("DROP INDEX IF EXISTS ix_search_documents_vector")
    op.execute("ALTER TABLE search_documents DROP COLUMN head_vector, DROP COLUMN vector")
    op.execute("ALTER TABLE search_documents RESET (toast_tuple_target)")
    for column in TEXT_COLUMNS:
        op.execute(f"ALTER TABLE search_documents ADD COLUMN {column} text NOT NULL")
    op.execute(
        f"ALTER TABLE search_documents ADD COLUMN vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    op.execute(
        f"ALTER TABLE search_documents ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ({HEAD}) STORED"
    )
    op.execute("CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)")
    op.execute("CREATE INDEX ix_search_documents_head ON search_documents USING gin (head_vector)")
