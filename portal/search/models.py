"""The PostgreSQL engine's documents: the same analysed terms as the Whoosh index, one row per item.

On PostgreSQL two GIN-indexed tsvector columns hold them (migrations 0007, 0010, 0011): `vector`
(weights A..D: title; summary + taxonomy; body; attachment text) and the small `head_vector`
(title; summary + taxonomy) that tiered ranking reads first. They are computed from the analysed
text when a document is written, and only the vectors are stored. On SQLite the table exists
without them and stays unused (Whoosh is the engine there).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class Concept(db.Model):
    """A concept buyers search for in their own words: a preferred term with its synonyms,
    abbreviations, narrower and related terms (portal/search/concepts.py expands queries with it)."""

    __tablename__ = "search_concepts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # the preferred term as typed
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    terms: Mapped[list[ConceptTerm]] = relationship(
        back_populates="concept", cascade="all, delete-orphan", order_by="ConceptTerm.position"
    )

    def terms_of(self, role: str) -> list[str]:
        return [term.text for term in self.terms if term.role == role]


class ConceptTerm(db.Model):
    """One term of a concept; `key` is its analysed form (stems without stop words), which is
    what a query's words are matched on."""

    __tablename__ = "search_concept_terms"
    __table_args__ = (UniqueConstraint("concept_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    concept_id: Mapped[int] = mapped_column(
        ForeignKey("search_concepts.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(
        String(20)
    )  # preferred, synonym, abbreviation, narrower, related
    text: Mapped[str] = mapped_column(String(120))
    key: Mapped[str] = mapped_column(String(200), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    concept: Mapped[Concept] = relationship(back_populates="terms")


class SearchEvent(db.Model):
    """A search made on the search page, or a result opened after one: the query text only, never
    who searched (kept RAW_EVENT_DAYS, then folded into SearchQueryTotal)."""

    __tablename__ = "search_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    query: Mapped[str] = mapped_column(String(200))
    # Visible results of a search; None for an opened result.
    results: Mapped[int | None] = mapped_column(Integer)


class SearchQueryTotal(db.Model):
    """Counts per query text of the events older than RAW_EVENT_DAYS (kept without an end)."""

    __tablename__ = "search_query_totals"

    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)
    without_results: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Indexes made by migrations for one database only; autogenerate and the drift test skip them.
DATABASE_ONLY_INDEXES = frozenset(
    {"ix_search_documents_fts", "ix_search_documents_vector", "ix_search_documents_head"}
)
# Columns made by migrations on PostgreSQL only (the tsvectors, migrations 0007, 0010 and 0011).
DATABASE_ONLY_COLUMNS = frozenset(
    {("search_documents", "vector"), ("search_documents", "head_vector")}
)


# Tables made by migrations on PostgreSQL only: the indexed words for typo tolerance (0023).
DATABASE_ONLY_TABLES = frozenset({"search_lexemes"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: everything except the database-only tables, indexes and columns above."""
    if type_ == "table" and name in DATABASE_ONLY_TABLES:
        return False
    if type_ == "column" and (getattr(obj.table, "name", None), name) in DATABASE_ONLY_COLUMNS:
        return False
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)


class SpellingVocabulary(db.Model):
    """The words "Bedoelde u …?" may offer, built off the request path (`spelling.refresh`): one
    row (id 1), read whole by each worker when `built_at` moved."""

    __tablename__ = "spelling_vocabulary"

    id: Mapped[int] = mapped_column(primary_key=True)
    # When the build that wrote `words` began reading (None: never built).
    built_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A build in progress holds the row for a while (a lease, so a dead builder blocks no one).
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str] = mapped_column(String(120), default="")
    words: Mapped[str] = mapped_column(Text, default="")  # sorted, one a line
    terms: Mapped[str] = mapped_column(Text, default="")  # the words' analysed terms, one a line


class SpellingWithdrawn(db.Model):
    """A word of an item that stopped being public after the vocabulary was read: never offered
    until the next build, which reads that item as it is now and removes the row."""

    __tablename__ = "spelling_withdrawn"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
