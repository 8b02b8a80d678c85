"""The embedded engine: a Whoosh index under instance/. Holds analysed terms, never decides access."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, AndMaybe, AndNot, Or, Term
from whoosh.scoring import BM25F

from portal.search.documents import FIELD_BOOSTS
from portal.search.query import ParsedQuery

FIELDS = tuple(FIELD_BOOSTS)


def _schema() -> Schema:
    text = {
        name: TEXT(analyzer=SpaceSeparatedTokenizer(), field_boost=boost)
        for name, boost in FIELD_BOOSTS.items()
    }
    return Schema(id=ID(stored=True, unique=True), kind=ID(stored=True), **text)


class IndexUnavailableError(RuntimeError):
    """The index is missing or unreadable; the database still serves every page."""


class WhooshEngine:
    name = "whoosh"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _open(self, create: bool = False):
        try:
            if whoosh_index.exists_in(self.directory):
                return whoosh_index.open_dir(self.directory)
        except Exception as error:
            if not create:
                raise IndexUnavailableError(str(error)) from error
        if not create:
            raise IndexUnavailableError("geen zoekindex")
        self.directory.mkdir(parents=True, exist_ok=True)
        return whoosh_index.create_in(self.directory, _schema())

    def recreate(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        whoosh_index.create_in(self.directory, _schema())

    @contextmanager
    def writer(self, timeout: float = 30.0) -> Iterator[Any]:
        """The index's single writer, waiting up to timeout for another worker to finish.

        Callers load the documents *inside* this block, so the last writer always writes the
        latest committed state: concurrent workers may wait, but no update is lost or reordered.
        """
        writer = self._open(create=True).writer(timeout=timeout)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    @staticmethod
    def apply(writer: Any, documents: list[dict[str, str]], deleted_ids: list[str]) -> None:
        for doc_id in deleted_ids:
            writer.delete_by_term("id", doc_id)
        for document in documents:
            writer.update_document(**document)

    def search(self, query: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        """(item id, score) of the best matches; more matched terms and heavier fields rank first."""
        ix = self._open()

        def anywhere(term: str):
            return Or([Term(field, term) for field in FIELDS])

        optional = Or([anywhere(t) for t in query.should]) if query.should else None
        if query.phrases:
            required = And([anywhere(t) for phrase in query.phrases for t in phrase])
            combined = AndMaybe(required, optional) if optional is not None else required
        elif optional is not None:
            combined = optional
        else:
            return []
        if query.exclude:
            combined = AndNot(combined, Or([anywhere(t) for t in query.exclude]))
        wanted = set(query.should) | {t for phrase in query.phrases for t in phrase}
        with ix.searcher(weighting=BM25F()) as searcher:
            hits = searcher.search(combined, limit=limit, terms=True)
            results = []
            for hit in hits:
                # Coordination: a text that matches more of the words the buyer typed ranks higher
                # than one that matches a single word many times or in a heavy field.
                matched = {
                    term.decode() if isinstance(term, bytes) else term
                    for _field, term in hit.matched_terms()
                }
                coverage = len(matched & wanted) / len(wanted)
                results.append((int(hit["id"]), float(hit.score) * (0.25 + coverage)))
            return results

    def ids(self) -> set[int]:
        ix = self._open()
        with ix.searcher() as searcher:
            return {int(fields["id"]) for fields in searcher.all_stored_fields()}
