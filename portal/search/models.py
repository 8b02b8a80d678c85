"""The PostgreSQL engine's documents: the same analysed terms as the Whoosh index, one row per item.

On PostgreSQL two GIN-indexed tsvector columns hold them (migrations 0007, 0010, 0011): `vector`
(weights A..D: title; summary + taxonomy; body; attachment text) and the small `head_vector`
(title; summary + taxonomy) that tiered ranking reads first. They are computed from the analysed
text when a document is written, and only the vectors are stored. On SQLite the table exists
without them and stays unused (Whoosh is the engine there).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.common import utcnow
from portal.extensions import db


class SearchDocument(db.Model):
    __tablename__ = "search_documents"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    # A hash of the analysed document, so `flask search check` finds stale documents.
    content_hash: Mapped[str | None] = mapped_column(String(64))


class SavedSearch(db.Model):
    """A member's saved search; with `alert` on, new matches are mailed by `flask search alerts`."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The search's URL query string (q and facets), so it reproduces exactly.
    query_string: Mapped[str] = mapped_column(String(2000))
    alert: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Items published after this moment are "new" for the next alert.
    alerted_until: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Indexes made by migrations for one database only; autogenerate and the drift test skip them.
DATABASE_ONLY_INDEXES = frozenset(
    {"ix_search_documents_fts", "ix_search_documents_vector", "ix_search_documents_head"}
)
# Columns made by migrations on PostgreSQL only (the tsvectors, migrations 0007, 0010 and 0011).
DATABASE_ONLY_COLUMNS = frozenset(
    {("search_documents", "vector"), ("search_documents", "head_vector")}
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: everything except the database-only indexes and columns above."""
    if type_ == "column" and (getattr(obj.table, "name", None), name) in DATABASE_ONLY_COLUMNS:
        return False
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)
