"""The embedded engine: a Whoosh index under instance/. Holds analysed terms, never decides access."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, AndMaybe, AndNot, Or, Term
from whoosh.scoring import BM25F

from portal.search.query import ParsedQuery, is_common

# BM25F sums each field's term frequency times its weight before saturating; one field in which a
# term occurs weight times per occurrence is the same sum, and merges one posting list per term
# instead of five (frequencies only, so the repeats cost no index space).
REPEATS = {"title": 6, "summary": 3, "taxonomy": 3, "body": 2, "attachments": 1}


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        text=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False),
    )


def weighted_text(document: dict[str, str]) -> str:
    return " ".join(" ".join([document[name]] * n) for name, n in REPEATS.items() if document[name])


_LOCAL = threading.local()


class IndexUnavailableError(RuntimeError):
    """The index is missing or unreadable; the database still serves every page."""


class WhooshEngine:
    name = "whoosh"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _open(self, create: bool = False):
        try:
            if whoosh_index.exists_in(self.directory):
                ix = whoosh_index.open_dir(self.directory)
                if set(ix.schema.names()) != set(_schema().names()):
                    raise IndexUnavailableError("zoekindex met een oud schema: herbouw hem")
                return ix
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
            writer.update_document(
                id=document["id"], kind=document["kind"], text=weighted_text(document)
            )

    def search(self, query: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        """(item id, score) of the best matches; texts matching more of the typed words rank first."""
        searcher = self._searcher()
        total = max(1, searcher.doc_count())
        should = [t for t in query.should if searcher.doc_frequency("text", t)]
        common = [t for t in should if is_common(searcher.doc_frequency("text", t), total)]
        rare = [t for t in should if t not in common]
        phrase_terms = [t for phrase in query.phrases for t in phrase]
        if phrase_terms:
            required = And([Term("text", t) for t in phrase_terms])
        elif rare:
            required = Or([Term("text", t) for t in rare])
        elif common:
            # Only frequent words: texts with all of them first; if none has all, any of them.
            required = And([Term("text", t) for t in common])
            if not searcher.search(required, limit=1):
                required = Or([Term("text", t) for t in common])
            common = []
        else:
            return []
        optional = should if phrase_terms else common
        combined = (
            AndMaybe(required, Or([Term("text", t) for t in optional])) if optional else required
        )
        if query.exclude:
            combined = AndNot(combined, Or([Term("text", t) for t in query.exclude]))
        hits = searcher.search(combined, limit=limit)
        return [(int(hit["id"]), float(hit.score)) for hit in hits]

    def _stamp(self) -> tuple:
        """Which table of contents is current: names and times, so a rebuilt index (whose
        generation numbers start again) is never mistaken for the one a searcher holds."""
        try:
            return tuple(
                sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(self.directory)
                       if e.name.endswith(".toc"))
            )  # fmt: skip
        except OSError as error:
            raise IndexUnavailableError(str(error)) from error

    def _searcher(self):
        """This thread's searcher, kept open between requests and reopened when the index changed
        (opening one costs more than most searches)."""
        cache = _LOCAL.__dict__.setdefault("searchers", {})
        stamp = self._stamp()
        stamped = cache.get(self.directory)
        if stamped is not None and stamped[0] == stamp:
            return stamped[1]
        if stamped is not None:
            stamped[1].close()
        cache.pop(self.directory, None)
        try:
            searcher = self._open().searcher(weighting=BM25F())
        except IndexUnavailableError:
            raise
        except Exception as error:  # files replaced under us: the index is being rebuilt
            raise IndexUnavailableError(str(error)) from error
        cache[self.directory] = (stamp, searcher)
        return searcher

    def ids(self) -> set[int]:
        ix = self._open()
        with ix.searcher() as searcher:
            return {int(fields["id"]) for fields in searcher.all_stored_fields()}
