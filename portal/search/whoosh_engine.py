"""The embedded engine: a Whoosh index under instance/. Holds analysed terms, never decides access."""

from __future__ import annotations

import contextlib
import fcntl
import heapq
import json
import os
import shutil
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import (
    And,
    Every,
    Term,
)
from whoosh.scoring import BM25F, BM25FScorer

from portal.search.query import (
    CONCEPT_COVERAGE,
    COVERAGE,
    FUZZY_COVERAGE,
    HEAD_COVERAGE,
    ParsedQuery,
    is_common,
)
from portal.search.typos import MAX_DISTANCE, PREFIX, expand_typos
from portal.search.whoosh_storage import MappedStorage

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


class _Holding:
    """Which of some documents hold a word in a field, read once per word: a rare word's
    postings whole, a common word's by skipping to these documents only."""

    def __init__(self, searcher, docnums: list[int], known: dict | None = None) -> None:
        self.searcher = searcher
        self.docnums = docnums
        self.known: dict[tuple[str, str], set[int]] = known or {}

    def __call__(self, field: str, term: str) -> set[int]:
        key = (field, term)
        if key not in self.known:
            self.known[key] = self._read(field, term)
        return self.known[key]

    def all_of(self, field: str, terms: tuple[str, ...]) -> set[int]:
        """The documents that hold every one of terms."""
        return set.intersection(*(self(field, t) for t in terms))

    def _read(self, field: str, term: str) -> set[int]:
        found: set[int] = set()
        for leaf, offset, wanted in _per_leaf(self.searcher, self.docnums):
            if not leaf.doc_frequency(field, term):
                continue
            matcher = leaf.postings(field, term)
            if leaf.doc_frequency(field, term) <= len(wanted):
                among = set(wanted)
                found.update(d + offset for d in matcher.all_ids() if d in among)
                continue
            for docnum in wanted:
                if _skip(matcher, docnum):
                    found.add(docnum + offset)
                elif not matcher.is_active():
                    break
        return found


def _per_leaf(searcher, docnums) -> Iterator[tuple[Any, int, list[int]]]:
    """(segment searcher, its first document number, these documents in it, in order)."""
    for leaf, offset in searcher.leaf_searchers():
        end = offset + leaf.doc_count_all()
        wanted = sorted(d - offset for d in docnums if offset <= d < end)
        if wanted:
            yield leaf, offset, wanted


def _holding_scores(matcher, among: dict[int, float]) -> Iterator[tuple[int, float]]:
    """(document, the term's score) for the documents among these that hold the matcher's term.
    An optional word is common: its postings are read block by block from Whoosh's arrays (a
    Python step per posting, one score per distinct weight), where skipping to each of
    thousands of documents stepped through the same postings by method calls."""
    scorer = getattr(matcher, "scorer", None)
    if not (hasattr(matcher, "_read_ids") and isinstance(scorer, _LengthFreeScorer)):
        for docnum in sorted(among):  # another matcher or weighting: the public way
            if _skip(matcher, docnum):
                yield docnum, matcher.score()
        return
    scores: dict[float, float] = {}
    while matcher.is_active():
        # whoosh-reloaded's W3LeafMatcher (pinned): the block's ids and weights, read once.
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        for docnum, weight in zip(matcher._ids[start:], matcher._weights[start:], strict=True):
            if docnum in among:
                score = scores.get(weight)
                if score is None:
                    score = scores[weight] = scorer.of_weight(weight)
                yield docnum, score
        matcher._next_block()


def _skip(matcher, docnum: int) -> bool:
    """Move the matcher to docnum (never back) and say whether it holds it."""
    if matcher.is_active() and matcher.id() < docnum:
        matcher.skip_to(docnum)
    return matcher.is_active() and matcher.id() == docnum


def _proximity(searcher, pairs: list[tuple[str, str, int]], docnums) -> dict[int, float]:
    """PROXIMITY_BOOST times the two words' BM25F scores, summed over the pairs whose second word
    stands 1 to gap places after the first in the text, for these documents only: what an Or of
    Phrase(first, second, slop=gap) scores, but Whoosh's phrase matcher, skipped to a document,
    reads the positions of every later text with both words until it finds them together."""
    bonus: dict[int, float] = {}
    for leaf, offset, wanted in _per_leaf(searcher, docnums):
        context = leaf.context()
        for first, second, gap in pairs:
            before = Term("text", first).matcher(leaf, context)
            after = Term("text", second).matcher(leaf, context)
            for docnum in wanted:
                if not (_skip(before, docnum) and _skip(after, docnum)):
                    if before.is_active() and after.is_active():
                        continue
                    break
                seconds = after.value_as("positions")
                if any(
                    (i := bisect_right(seconds, position)) < len(seconds)
                    and seconds[i] - position <= gap
                    for position in before.value_as("positions")
                ):
                    score = PROXIMITY_BOOST * (before.score() + after.score())
                    bonus[docnum + offset] = bonus.get(docnum + offset, 0.0) + score
    return bonus


def _scored(leaf, context, terms: tuple[str, ...]) -> dict[int, float]:
    """The sum of the terms' BM25F scores in each document of this segment that holds all of
    them: the rarest term's postings are read whole, the others skipped through to its
    documents (kept in document order, so each matcher only moves forward)."""
    rarest, *others = sorted(terms, key=lambda t: leaf.doc_frequency("text", t))
    matcher = Term("text", rarest).matcher(leaf, context)
    scores: dict[int, float] = {}
    while matcher.is_active():
        scores[matcher.id()] = matcher.score()
        matcher.next()
    for term in others:
        matcher = Term("text", term).matcher(leaf, context)
        scores = {d: s + matcher.score() for d, s in scores.items() if _skip(matcher, d)}
    return scores


def _best(searcher, clauses, optional: list[str], exclude: list[str], limit: int):
    """(document number, score) of the `limit` documents that score best by BM25F, by score and
    then document number as Whoosh's collector keeps them; and per word, which matching
    documents hold it where that is known without another read (so coverage need not read it
    again). A document must match one of the clauses (terms that must all match, and the boost
    of their summed score); it scores the sum of those it matches, plus the optional terms it
    holds. What Searcher.search computes for AndMaybe(Or(clauses), Or(optional)), but that
    scores through a tree of matchers for every match, and block skipping never pays: every
    block holds a text that weighs a word heavily."""
    scores: dict[int, float] = {}
    held: dict[str, set[int]] = {}
    for leaf, offset in searcher.leaf_searchers():
        context = leaf.context()
        found: dict[int, float] = {}
        for terms, boost in clauses:
            scored = _scored(leaf, context, terms)
            if len(terms) == 1 or len(clauses) == 1:  # then every match holds every term
                for term in terms:
                    held.setdefault(term, set()).update(d + offset for d in scored)
            for docnum, score in scored.items():
                found[docnum] = found.get(docnum, 0.0) + score * boost
        wanted = sorted(found)
        for term in optional:
            matcher = Term("text", term).matcher(leaf, context)
            holders = held.setdefault(term, set())
            for docnum, score in _holding_scores(matcher, found):
                found[docnum] += score
                holders.add(docnum + offset)
        for term in exclude:
            matcher = Term("text", term).matcher(leaf, context)
            for docnum in wanted:
                if _skip(matcher, docnum):
                    found.pop(docnum, None)
        scores.update((docnum + offset, score) for docnum, score in found.items())
    best = heapq.nsmallest(limit, scores.items(), key=lambda pair: (-pair[1], pair[0]))
    return best, held


def _near_terms(searcher, term: str) -> set[str]:
    """Indexed words at most MAX_DISTANCE edits from term, segment by segment: a segment's reader
    walks its word list with an automaton, while the multi-segment reader would compare every
    word of the index in Python."""
    reader = searcher.reader()
    found: set[str] = set()
    for segment in getattr(reader, "readers", None) or [reader]:
        found.update(segment.terms_within("text", term, MAX_DISTANCE, prefix=PREFIX))
    return found


def _in_field(clause, field: str):
    """The same Term or And of Terms, in another field."""
    if isinstance(clause, Term):
        return Term(field, clause.text)
    return And([Term(field, sub.text) for sub in clause.subqueries])


class _LengthFreeScorer(BM25FScorer):
    """BM25F with B = 0: a text's length does not count, so it is not read for every posting
    (Whoosh's scorer looks it up per document even then; half of the scoring time)."""

    def score(self, matcher) -> float:
        return self._score(matcher.weight(), 1)

    def of_weight(self, weight: float) -> float:
        return self._score(weight, 1)


class LengthFreeBM25F(BM25F):
    """BM25F whose text length does not discount a score (B = 0), as PostgreSQL's ts_rank
    without normalisation: the engines then agree on more top-3s at the same nDCG@10."""

    def __init__(self, k1: float = 1.2) -> None:
        super().__init__(B=0.0, K1=k1)

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf=qf)
        return _LengthFreeScorer(searcher, fieldname, text, 0.0, self.K1, qf=qf)


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
            # Parts of segments read from the memory map, not copied (see whoosh_storage).
            ix = MappedStorage(str(directory)).open_index()
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
        boosted = [(terms, w) for group in alternatives.values() for terms, w, _s in group]
        optional = should if phrase_terms else common
        if phrase_terms:
            clauses = [(tuple(phrase_terms), 1.0)]
        elif rare:
            clauses = [*(((t,), 1.0) for t in rare), *boosted]
        elif common:
            # Only frequent words: texts with all of them first; if none has all, any of them;
            # and the texts with a concept's term (a text with the typed word must never be left
            # out because a concept added terms: it is what ranks first).
            required = And([Term("text", t) for t in common])
            if required.matcher(searcher, searcher.boolean_context()).is_active():
                clauses = [(tuple(common), 1.0), *boosted]
            else:
                clauses = [*(((t,), 1.0) for t in common), *boosted]
            optional = []
        elif boosted:
            clauses = boosted
        else:
            return []
        # First the best `limit` texts by BM25F, then those texts ranked by coverage, the
        # heading's coverage and relevance.
        best, held = _best(searcher, clauses, optional, query.exclude, limit)
        found = {d: (int(searcher.stored_fields(d)["id"]), score) for d, score in best}
        known = {("text", term): docs & found.keys() for term, docs in held.items()}
        pairs = [pair for pair in query.pairs if frequency(pair[0]) and frequency(pair[1])]
        bonus = _proximity(searcher, pairs, found)
        covered = self._covered(query, alternatives, _Holding(searcher, sorted(found), known))
        ranked = [
            (item_id, covered.get(docnum, 0.0) + score + bonus.get(docnum, 0.0))
            for docnum, (item_id, score) in found.items()
        ]
        return sorted(ranked, key=lambda pair: (-pair[1], pair[0]))

    @staticmethod
    def _covered(query: ParsedQuery, alternatives: dict, holding: _Holding) -> dict[int, float]:
        """Per document: COVERAGE times the typed words it covers (each by the largest share, see
        portal.search.query), plus HEAD_COVERAGE times those its heading fields cover and those
        its title covers. Set operations over each word's holders, not a look-up per document."""
        total: dict[int, float] = {}
        for group in query.groups:
            shares = [(whole, 1.0) for whole in group.wholes]
            shares += [(terms, share) for terms, _w, share in alternatives.get(group.key, ())]
            shares = sorted((s for s in shares if s[1] > 0), key=lambda s: -s[1])
            for field, scale in (
                ("text", COVERAGE), ("head", HEAD_COVERAGE), ("title", HEAD_COVERAGE)
            ):  # fmt: skip
                best: dict[int, float] = {}
                for terms, share in shares:  # largest first: the first share found is the best
                    for docnum in holding.all_of(field, terms):
                        best.setdefault(docnum, share)
                for docnum, share in best.items():
                    total[docnum] = total.get(docnum, 0.0) + scale * share
        return total

    @staticmethod
    def _alternatives(query: ParsedQuery, frequency, total: int) -> dict[str, list]:
        """typed word (stem) -> (terms, weight, share of coverage) of the concept terms and typo expansions that
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
            share = CONCEPT_COVERAGE if expansion.concept else FUZZY_COVERAGE
            for key in expansion.source:
                found.setdefault(key, []).append((tuple(terms), expansion.weight, share))
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
            searcher = self._open().searcher(weighting=LengthFreeBM25F())
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
