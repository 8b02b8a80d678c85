"""Search is a service: the page, the API, the feed, alerts and the bench call `search()`, which
answers a typed result for a reader, with the same visibility rule as every list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin
from werkzeug.datastructures import MultiDict

from portal.search.searching import BadSearchError, Hit, SearchResult, matching, search
from tests.factories import make_item


def test_search_answers_a_typed_page_for_each_reader(app, world):
    make_item("tender", world.utrecht, title="Asfalt met MKI", themes=["circulair"])
    make_item("lesson", world.utrecht, title="Asfalt alleen voor leden", visibility="members")
    with app.test_request_context():
        visitor = search(MultiDict({"q": "asfalt"}), AnonymousUserMixin())
        member = search(MultiDict({"q": "asfalt", "soort": "lesson"}), world.utrecht_member)
    assert isinstance(visitor, SearchResult) and isinstance(visitor.hits[0], Hit)
    assert [h.result.title for h in visitor.hits] == ["Asfalt met MKI"] and visitor.total == 1
    assert {v for v, _label, _n in visitor.counts["soort"]} == {"tender"}
    assert [h.result.title for h in member.hits] == ["Asfalt alleen voor leden"]
    assert member.selected["soort"] == ["lesson"] and member.page == member.pages == 1
    _query, visible, narrowed, _hits, _limit = matching(
        MultiDict({"q": "asfalt", "soort": "tender"}), world.utrecht_member
    )
    assert len(visible) == 2 and len(narrowed) == 1


@pytest.mark.parametrize("args", [{"pagina": "0"}, {"pagina": "x"}, {"sorteer": "prijs"}])
def test_arguments_that_cannot_be_answered_are_refused(app, world, args):
    with app.test_request_context(), pytest.raises(BadSearchError):
        search(MultiDict({"q": "asfalt", **args}), AnonymousUserMixin())


def test_the_facet_cache_keeps_one_copy_of_each_value_set(app, world, monkeypatch):
    """Items with the same themes share one set of them in the per-worker facet cache (a set per
    item made it ~1 KB an item, 50,000 items per worker), and the shared sets stay bounded."""
    from portal.search import facets

    items = [make_item("tender", world.utrecht, themes=["circulair"]) for _ in range(3)]
    other = make_item("lesson", world.heumen, themes=["circulair", "klimaat"])
    monkeypatch.setattr(facets, "_CACHE", {})
    monkeypatch.setattr(facets, "_SHARED", {})
    with app.test_request_context():
        values = facets._cached_item_values({i.id: i.updated_at for i in [*items, other]})
    themes = [values[i.id]["thema"] for i in items]
    assert themes[0] == {"circulair"} and all(t is themes[0] for t in themes)
    assert values[other.id]["thema"] == {"circulair", "klimaat"}
    assert len({id(v) for item in values.values() for v in item.values()}) == len(facets._SHARED)
    monkeypatch.setattr(facets, "CACHE_SIZE", 2)
    with app.test_request_context():
        facets._cached_item_values({other.id: other.updated_at + timedelta(seconds=1)})
    assert len(facets._SHARED) <= 2
