"""The spelling vocabulary ("Bedoelde u …?") is built off the request path and only read by a
search; a word of an item that stops being public leaves the hints with that commit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, event, select, update

from portal.extensions import db
from portal.moderation import services as moderation
from portal.outbox.delivery import work_once
from portal.search import spelling
from portal.search.models import SpellingVocabulary, SpellingWithdrawn
from tests.factories import build_spelling, make_item


def hint(client, text: str) -> str | None:
    return client.get("/api/search", query_string={"q": text}).get_json()["suggestion"]


class Statements:
    """The SQL a block of code sends to the database."""

    def __enter__(self) -> list[str]:
        self.sql: list[str] = []
        event.listen(db.engine, "before_cursor_execute", self._note)
        return self.sql

    def _note(self, _conn, _cursor, statement, _parameters, _context, _many) -> None:
        self.sql.append(statement)

    def __exit__(self, *_exc) -> None:
        event.remove(db.engine, "before_cursor_execute", self._note)


def test_a_search_with_a_hint_reads_no_item_text(client, world, monkeypatch):
    """The texts are read by the build only: a search that needs a hint reads the stored words
    (once per worker and build) and the withdrawn ones, nothing else."""
    make_item("lesson", world.utrecht, title="Leerlingenvervoer emissievrij",
              body="Elektrische busjes voor het leerlingenvervoer.")  # fmt: skip
    client.get("/zoeken?q=busjes")  # the index is ready before anything is counted
    read = []

    def reading_texts(*args, **kwargs):
        read.append(args)
        raise AssertionError("a search read the items' texts")

    with monkeypatch.context() as patched:
        patched.setattr(spelling, "_public_texts", reading_texts)
        # Never built: no hint, and the request does not build it.
        page = client.get("/zoeken?q=leerlingenvervoor+busje").get_data(as_text=True)
        assert "Bedoelde u" not in page and read == []
    build_spelling()
    monkeypatch.setattr(spelling, "_public_texts", reading_texts)
    loaded = []
    for _first_then_kept in range(2):
        with Statements() as sql:
            page = client.get("/zoeken?q=leerlingenvervoor").get_data(as_text=True)
        assert "Bedoelde u:" in page and "leerlingenvervoer" in page and read == []
        assert not [s for s in sql if "spelling_vocabulary SET" in s]
        loaded.append([s for s in sql if "spelling_vocabulary.words" in s])
    assert [len(statements) for statements in loaded] == [1, 0]  # the words once per build


def test_a_hidden_or_private_item_leaves_the_hints_with_its_commit(client, world):
    hidden = make_item("lesson", world.utrecht, title="Bermmaaiselverwerking in de regio")
    private = make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht")
    make_item("lesson", world.utrecht, title="Gemeenschapshuisverbouwing in de regio")
    build_spelling()
    assert hint(client, "bermmaaiselverwerkin") == "bermmaaiselverwerking"
    assert hint(client, "kringloopwinkelpartnrs") == "kringloopwinkelpartners"

    moderation.hide_item(hidden, "Klopt niet.", actor=world.moderator)
    private.visibility = "members"  # however it happens: the item stops being public
    db.session.commit()
    withdrawn = set(db.session.scalars(select(SpellingWithdrawn.word)))
    assert {"bermmaaiselverwerking", "kringloopwinkelpartners"} <= withdrawn
    assert hint(client, "bermmaaiselverwerkin") is None  # no rebuild needed
    assert hint(client, "kringloopwinkelpartnrs") is None

    build_spelling()  # the build reads the items as they are now and drops the withdrawals
    assert db.session.scalars(select(SpellingWithdrawn.word)).all() == []
    assert hint(client, "bermmaaiselverwerkin") is None
    assert hint(client, "kringloopwinkelpartnrs") is None
    # The other item's words stay.
    assert hint(client, "gemeenschapshuisverbouwnig") == "gemeenschapshuisverbouwing"

    moderation.restore_item(hidden, actor=world.moderator)
    db.session.commit()
    build_spelling()
    assert hint(client, "bermmaaiselverwerkin") == "bermmaaiselverwerking"


def test_an_edit_that_keeps_an_item_public_withdraws_nothing(client, world):
    item = make_item("lesson", world.utrecht, title="Bermmaaisel")
    draft = make_item("lesson", world.utrecht, title="Concept", status="draft")
    item.title = "Bermmaaisel en bermbeheer"
    draft.visibility = "members"
    db.session.commit()
    assert db.session.scalars(select(SpellingWithdrawn.word)).all() == []


def test_the_vocabulary_is_rebuilt_when_due_by_one_process_at_a_time(app, client, world):
    make_item("lesson", world.utrecht, title="Leerlingenvervoer emissievrij")
    assert spelling.refresh() is True  # never built: due at once
    assert spelling.refresh() is False  # built just now
    make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht")
    assert hint(client, "kringloopwinkelpartnrs") is None  # not yet built with it

    built = db.session.scalar(select(SpellingVocabulary.built_at))
    older = built - timedelta(seconds=spelling.REFRESH + 1)
    db.session.execute(update(SpellingVocabulary).values(built_at=older, claimed_at=built,
                                                         claimed_by="elders:1:1"))  # fmt: skip
    db.session.commit()
    assert spelling.refresh() is False  # due, but another process is building it
    assert hint(client, "kringloopwinkelpartnrs") is None

    lapsed = built - timedelta(seconds=spelling.LEASE + 1)
    db.session.execute(update(SpellingVocabulary).values(claimed_at=lapsed))  # its lease ran out
    db.session.commit()
    with app.app_context():
        work_once(app)  # the worker's round (and the background sweep) builds it
    state = db.session.execute(select(SpellingVocabulary.built_at, SpellingVocabulary.claimed_by))
    rebuilt, runner = state.one()
    assert rebuilt > built and runner == ""
    # (A kept page of the same query may be 30 s old: the build alone does not drop kept pages.)
    assert hint(client, "kringloopwinkelpatners") == "kringloopwinkelpartners"


def test_reindex_and_seed_build_the_vocabulary(app, client, world):
    make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert hint(client, "kringloopwinkelpatners") == "kringloopwinkelpartners"
    built = db.session.scalar(select(SpellingVocabulary.built_at))
    db.session.commit()
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(SpellingVocabulary.built_at)) > built


def test_a_build_that_lost_its_claim_keeps_the_withdrawn_words(client, world, monkeypatch):
    """A build that ran past its lease, while another process took the row over, stores nothing:
    it must not drop the withdrawals either, or the old stored words are offered again."""
    item = make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht")
    build_spelling()
    item.visibility = "members"
    db.session.commit()
    assert hint(client, "kringloopwinkelpartnrs") is None
    built = db.session.scalar(select(SpellingVocabulary.built_at))
    collect = spelling.collect

    def overtaken():
        found = collect()
        with db.engine.begin() as other:  # another process takes the lapsed lease over
            other.execute(update(SpellingVocabulary).values(claimed_by="elders:1:1"))
        return found

    monkeypatch.setattr(spelling, "collect", overtaken)
    db.session.commit()
    assert spelling.refresh(force=True) is False  # nothing stored
    assert db.session.scalar(select(SpellingVocabulary.built_at)) == built
    assert "kringloopwinkelpartners" in set(db.session.scalars(select(SpellingWithdrawn.word)))
    assert hint(client, "kringloopwinkelpartnrs") is None


def test_an_edit_that_also_withdraws_the_item_withdraws_its_old_words(client, world):
    """One save changes the text and makes the item private (the edit form does both): the words
    the stored vocabulary holds are the old ones, and they leave the hints with that commit."""
    item = make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht",
                     body="Over bermmaaiselverwerking.")  # fmt: skip
    build_spelling()
    assert hint(client, "kringloopwinkelpartnrs") == "kringloopwinkelpartners"
    assert item.title and item.body_md  # loaded, as the edit form's service does
    item.title = "Samenwerking gezocht"
    db.session.flush()  # an earlier flush of the same transaction wrote the new title
    item.body_md = "Nog niet klaar."
    item.visibility = "members"
    db.session.commit()
    withdrawn = set(db.session.scalars(select(SpellingWithdrawn.word)))
    assert {"kringloopwinkelpartners", "bermmaaiselverwerking"} <= withdrawn
    assert hint(client, "kringloopwinkelpartnrs") is None
    assert hint(client, "bermmaaiselverwerkin") is None


def test_hints_while_words_are_withdrawn_filter_the_vocabulary_once(client, world, monkeypatch):
    """Leaving the withdrawn words out of a whole vocabulary (some 35 ms for 200,000 words) is done
    once per build and set of withdrawn words, not on every search that needs a hint."""
    item = make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht")
    make_item("lesson", world.utrecht, title="Gemeenschapshuisverbouwing in de regio")
    build_spelling()
    item.visibility = "members"
    db.session.commit()
    made = []
    corrector = spelling.ListCorrector

    def counted(words):
        made.append(len(words))
        return corrector(words)

    monkeypatch.setattr(spelling, "ListCorrector", counted)
    for _search in range(3):
        assert hint(client, "gemeenschapshuisverbouwnig") == "gemeenschapshuisverbouwing"
        assert hint(client, "kringloopwinkelpartnrs") is None
    assert len(made) == 2  # the stored words' own, then the filtered one
    private = make_item("lesson", world.utrecht, title="Gemeenschapshuisverbouwing")
    private.status = "draft"  # another withdrawal: filtered again, once
    db.session.commit()
    for _search in range(2):
        assert hint(client, "gemeenschapshuisverbouwnig") is None
    assert len(made) == 3


def test_a_build_that_commits_during_a_search_never_brings_back_withdrawn_words(client, world):
    """A build that ends between a search's reads (the build time, then the withdrawn words) has
    dropped the withdrawals it read past: the search must then not use the older words kept."""
    item = make_item("lesson", world.utrecht, title="Kringloopwinkelpartners gezocht")
    make_item("lesson", world.utrecht, title="Gemeenschapshuisverbouwing in de regio")
    build_spelling()
    assert hint(client, "gemeenschapshuisverbouwnig") == "gemeenschapshuisverbouwing"  # kept
    item.visibility = "members"
    db.session.commit()
    words, terms = spelling.collect()  # what the next build stores: the item is not public
    built = db.session.scalar(select(SpellingVocabulary.built_at))
    done = []

    def build_ends(conn, _cursor, statement, _parameters, _context, _many) -> None:
        if done or "spelling_withdrawn" not in statement or "spelling_vocabulary" in statement:
            return
        done.append(statement)  # another process's build commits just now
        conn.execute(delete(SpellingWithdrawn))
        conn.execute(update(SpellingVocabulary).values(
            words="\n".join(words), terms="\n".join(terms), built_at=built + timedelta(seconds=1)
        ))  # fmt: skip

    event.listen(db.engine, "before_cursor_execute", build_ends)
    try:
        assert hint(client, "kringloopwinkelpartnrs") is None
    finally:
        event.remove(db.engine, "before_cursor_execute", build_ends)
    assert done
