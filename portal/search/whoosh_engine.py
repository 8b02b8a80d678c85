"""The embedded engine: a Whoosh index under instance/. Holds analysed terms, never decides access."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import (
    And,
    AndMaybe,
    AndNot,
    ConstantScoreQuery,
    Every,
    Or,
    Phrase,
    Term,
)
from whoosh.scoring import BM25F

from portal.search.query import (
    CONCEPT_COVERAGE,
    COVERAGE,
    FUZZY_COVERAGE,
    HEAD_COVERAGE,
    ParsedQuery,
    is_common,
)
from portal.search.typos import MAX_DISTANCE, expand_typos

# BM25F sums each field's term frequency times its weight before saturating; one field in which a
# term occurs weight times per occurrence is the same sum, and merges one posting list per term
# instead of five (frequencies only, so the repeats cost no index space).
REPEATS = {"title": 6, "summary": 3, "taxonomy": 3, "body": 2, "attachments": 1}
HEAD_FIELDS = ("title", "summary", "taxonomy")
PROXIMITY_BOOST = 0.25  # of the two words' own BM25F scores


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        # What the document was made from (documents.source_hash), so `search check` finds stale ones.
        hash=ID(stored=True),
        # Positions, for the proximity bonus (typed words next to each other in a text).
        text=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=True),
        # Title, summary and taxonomy terms once each: which typed words the text is about.
        head=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False),
        title=TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False),
    )


def weighted_text(document: dict[str, str]) -> str:
    return " ".join(" ".join([document[name]] * n) for name, n in REPEATS.items() if document[name])


def head_text(document: dict[str, str]) -> str:
    return " ".join(document[name] for name in HEAD_FIELDS if document[name])


_LOCAL = threading.local()
LIVE = "live"  # symlink to the build directory in use
# Size and mtime of each segment file, which Whoosh never rewrites.
MANIFEST = "portal-manifest.json"
DAMAGED = "damaged"  # names a build that failed to read


def _near_terms(searcher, term: str) -> set[str]:
    """Indexed words at most MAX_DISTANCE edits from term, segment by segment: a segment's reader
    walks its word list with an automaton, while the multi-segment reader would compare every
    word of the index in Python."""
    reader = searcher.reader()
    found: set[str] = set()
    for segment in getattr(reader, "readers", None) or [reader]:
        found.update(segment.terms_within("text", term, MAX_DISTANCE))
    return found


def _in_field(clause, field: str):
    """The same Term or And of Terms, in another field."""
    if isinstance(clause, Term):
        return Term(field, clause.text)
    return And([Term(field, sub.text) for sub in clause.subqueries])


class IndexUnavailableError(RuntimeError):
    """The index is missing or unreadable; the database still serves every page."""


class RebuildRunningError(RuntimeError):
    """Another process is rebuilding the index right now."""


def _segments(directory: Path) -> dict[str, list[int]]:
    return {
        entry.name: [entry.stat().st_size, entry.stat().st_mtime_ns]
        for entry in os.scandir(directory)
        if entry.name.endswith(".seg")
    }


def write_manifest(directory: Path) -> None:
    """Record the segment files as they are now (new ones added, removed ones dropped)."""
    path = directory / MANIFEST
    tmp = directory / f"{MANIFEST}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(json.dumps(_segments(directory)), encoding="utf-8")
    os.replace(tmp, path)


def verify_manifest(directory: Path) -> None:
    """Raise IndexUnavailableError when a segment file was changed after Whoosh wrote it."""
    try:
        recorded = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexUnavailableError(f"zoekindex zonder geldig manifest: {error}") from error
    for name, stat in _segments(directory).items():
        if name in recorded and recorded[name] != stat:
            raise IndexUnavailableError(f"zoekindex beschadigd: {name} is overschreven")


class WhooshEngine:
    """The index lives in `<directory>/live`, a symlink to one build directory: a rebuild writes a
    new build beside it and swaps the link, so searches keep answering from the old one."""

    name = "whoosh"

    def __init__(self, directory: Path) -> None:
        self.root = Path(directory)

    @property
    def directory(self) -> Path:
        """The build in use (resolved now: a rebuild may just have swapped it)."""
        link = self.root / LIVE
        if not link.is_symlink():
            raise IndexUnavailableError("geen zoekindex")
        return self.root / os.readlink(link)

    def _open(self):
        directory = self.directory
        try:
            if not whoosh_index.exists_in(directory):
                raise IndexUnavailableError("geen zoekindex")
            verify_manifest(directory)
            ix = whoosh_index.open_dir(directory)
        except IndexUnavailableError:
            raise
        except Exception as error:  # unreadable table of contents or segment
            raise IndexUnavailableError(str(error)) from error
        if set(ix.schema.names()) != set(_schema().names()) or not ix.schema[
            "text"
        ].format.supports("positions"):
            raise IndexUnavailableError("zoekindex met een oud schema: herbouw hem")
        return ix

    def available(self) -> bool:
        try:
            self._open()
        except IndexUnavailableError:
            return False
        return not self._marked_damaged()

    def mark_damaged(self) -> None:
        """Remember that the live build failed to read (a damage its manifest could not see), so
        the next housekeeping round rebuilds it; a rebuild's new build is not marked."""
        with contextlib.suppress(OSError):  # no live build: already unavailable
            (self.root / DAMAGED).write_text(os.readlink(self.root / LIVE), encoding="utf-8")

    def reads(self) -> bool:
        """Whether the live build still reads: every document is matched and scored by a query
        that touches no typed word (so a failing search was the query's fault, not the index's)."""
        try:
            searcher = self._searcher()
            searcher.search(Every(), limit=1)
            searcher.doc_count()
        except Exception:
            return False
        return True

    def _marked_damaged(self) -> bool:
        try:
            return (self.root / DAMAGED).read_text(encoding="utf-8") == os.readlink(
                self.root / LIVE
            )
        except OSError:
            return False

    @contextmanager
    def rebuild_lock(self) -> Iterator[None]:
        """One rebuild at a time across processes (an flock, released if the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".rebuild.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise RebuildRunningError("de zoekindex wordt al herbouwd") from error
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def build(self) -> Iterator[Any]:
        """A writer on a new, empty build beside the live one; swapped in when the block ends."""
        name = f"build-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
        directory = self.root / name
        directory.mkdir(parents=True)
        writer = whoosh_index.create_in(directory, _schema()).writer()
        try:
            yield writer
        except BaseException:
            writer.cancel()
            shutil.rmtree(directory, ignore_errors=True)
            raise
        writer.commit()
        write_manifest(directory)
        previous = os.readlink(self.root / LIVE) if (self.root / LIVE).is_symlink() else None
        link = self.root / f".{LIVE}.{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(name)
        os.replace(link, self.root / LIVE)  # atomic: a search sees the old build or the new one
        # Keep the previous build for searchers still reading it; older ones and the files of
        # the layout before builds go.
        for entry in os.scandir(self.root):
            if entry.name.startswith("build-") and entry.name not in (name, previous):
                shutil.rmtree(entry.path, ignore_errors=True)
            elif entry.name.endswith((".toc", ".seg")) or entry.name == "MAIN_WRITELOCK":
                Path(entry.path).unlink(missing_ok=True)

    @contextmanager
    def writer(self, timeout: float = 5.0) -> Iterator[Any]:
        """The index's single writer, waiting up to timeout for another worker to finish (then
        LockError: the outbox retries later). Never creates an index: a missing one is rebuilt.

        Callers load the documents *inside* this block, so the last writer always writes the
        latest committed state: concurrent workers may wait, but no update is lost or reordered.
        """
        ix = self._open()
        writer = ix.writer(timeout=timeout)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        write_manifest(Path(ix.storage.folder))

    @staticmethod
    def apply(writer: Any, documents: list[dict[str, str]], deleted_ids: list[str]) -> None:
        for doc_id in deleted_ids:
            writer.delete_by_term("id", doc_id)
        for document in documents:
            writer.update_document(
                id=document["id"], kind=document["kind"], hash=document["hash"],
                text=weighted_text(document), head=head_text(document), title=document["title"],
            )  # fmt: skip

    def search(self, query: ParsedQuery, limit: int) -> list[tuple[int, float]]:
        """(item id, score) of the best matches: the coverage (distinct typed words matched, a
        word matched only through a concept's term or a typo's nearest word counting less) first,
        then BM25F with a bonus for typed words that stand next to each other in the text."""
        searcher = self._searcher()
        total = max(1, searcher.doc_count())

        def frequency(term: str) -> int:
            return searcher.doc_frequency("text", term)

        expand_typos(
            query,
            lambda term: frequency(term) > 0,
            lambda term: _near_terms(searcher, term),
        )
        should = [t for t in query.should if frequency(t)]
        common = [t for t in should if is_common(frequency(t), total)]
        rare = [t for t in should if t not in common]
        phrase_terms = [t for phrase in query.phrases for t in phrase]
        alternatives = self._alternatives(query, frequency, total)
        if phrase_terms:
            required = And([Term("text", t) for t in phrase_terms])
        elif rare or alternatives:
            clauses = [c for group in alternatives.values() for c, _w, _s in group]
            required = Or([*(Term("text", t) for t in rare), *clauses])
        elif common:
            # Only frequent words: texts with all of them first; if none has all, any of them.
            required = And([Term("text", t) for t in common])
            if not searcher.search(required, limit=1):
                required = Or([Term("text", t) for t in common])
        else:
            return []
        scoring = self._coverage(query, frequency, alternatives)
        scoring += [
            Phrase("text", [first, second], slop=gap, boost=PROXIMITY_BOOST)
            for first, second, gap in query.pairs
            if frequency(first) and frequency(second)
        ]
        combined = AndMaybe(ConstantScoreQuery(required, 0.0), Or(scoring)) if scoring else required
        if query.exclude:
            combined = AndNot(combined, Or([Term("text", t) for t in query.exclude]))
        hits = searcher.search(combined, limit=limit)
        return [(int(hit["id"]), float(hit.score)) for hit in hits]

    @staticmethod
    def _coverage(query: ParsedQuery, frequency, alternatives: dict) -> list:
        """Per typed word: COVERAGE times the largest share of it the text covers (see
        portal.search.query), as constant clauses, one per step of share (Whoosh's
        DisjunctionMax scores wrongly), plus the BM25F scores of the word's terms and of the
        terms standing in for it, these times their weight."""
        clauses = []
        for group in query.groups:
            typed = [Term("text", t) for t in group.terms if frequency(t)]
            shares = [
                (
                    Term("text", whole[0])
                    if len(whole) == 1
                    else And([Term("text", t) for t in whole]),
                    1.0,
                )
                for whole in group.wholes
                if all(frequency(t) for t in whole)
            ]
            standing_in = alternatives.get(group.key, [])
            shares += [(clause, share) for clause, _weight, share in standing_in]
            steps = sorted({share for _clause, share in shares if share > 0})
            for field, scale in (
                ("text", COVERAGE), ("head", HEAD_COVERAGE), ("title", HEAD_COVERAGE)
            ):  # fmt: skip
                below = 0.0
                for step in steps:
                    reaching = [_in_field(c, field) for c, share in shares if share >= step]
                    clauses.append(ConstantScoreQuery(Or(reaching), scale * (step - below)))
                    below = step
            clauses.extend(typed)
            # Their mean, not their sum: a text does not gain by holding many of a concept's terms.
            clauses.extend(
                clause.with_boost(weight / len(standing_in))
                for clause, weight, _share in standing_in
            )
        return clauses

    @staticmethod
    def _alternatives(query: ParsedQuery, frequency, total: int) -> dict[str, list]:
        """typed word (stem) -> (clause, weight, share of coverage) of the concept terms and typo expansions that
        stand in for it. Every word of a term must match, except its common words (as for typed
        words, they would make the search read most texts); a term missing from the index or of
        common words only is left out."""
        found: dict[str, list] = {}
        for expansion in query.alternatives:
            frequencies = [frequency(t) for t in expansion.terms]
            if not all(frequencies):
                continue
            terms = [t for t, n in zip(expansion.terms, frequencies, strict=True)
                     if not is_common(n, total)]  # fmt: skip
            if not terms:
                continue
            clause = (
                Term("text", terms[0]) if len(terms) == 1 else And([Term("text", t) for t in terms])
            )
            share = CONCEPT_COVERAGE if expansion.concept else FUZZY_COVERAGE
            for key in expansion.source:
                found.setdefault(key, []).append((clause, expansion.weight, share))
        return found

    def _stamp(self) -> tuple:
        """Which build and table of contents is current, so a rebuilt index is never mistaken for
        the one a searcher holds."""
        directory = self.directory
        try:
            # Segment files too: one changed under a searcher must be noticed (verify_manifest).
            files = sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(directory)
                           if e.name.endswith((".toc", ".seg")))  # fmt: skip
            return (str(directory), *files)
        except OSError as error:
            raise IndexUnavailableError(str(error)) from error

    def _searcher(self):
        """This thread's searcher, kept open between requests and reopened when the index changed
        (opening one costs more than most searches)."""
        cache = _LOCAL.__dict__.setdefault("searchers", {})
        stamp = self._stamp()
        stamped = cache.get(self.root)
        if stamped is not None and stamped[0] == stamp:
            return stamped[1]
        if stamped is not None:
            stamped[1].close()
        cache.pop(self.root, None)
        try:
            searcher = self._open().searcher(weighting=BM25F())
        except IndexUnavailableError:
            raise
        except Exception as error:  # a segment that cannot be read: damaged, rebuild it
            self.mark_damaged()
            raise IndexUnavailableError(str(error)) from error
        cache[self.root] = (stamp, searcher)
        return searcher

    def hashes(self) -> dict[int, str]:
        """Every indexed item id with the hash of what it was indexed from."""
        ix = self._open()
        try:
            with ix.searcher() as searcher:
                return {
                    int(fields["id"]): fields.get("hash", "")
                    for fields in searcher.all_stored_fields()
                }
        except Exception as error:  # a segment that cannot be read
            raise IndexUnavailableError(str(error)) from error
