"""Search is a service: the page, the API, the feed, alerts and the bench call `search()`, which
answers a typed result for a reader, with the same visibility rule as every list."""

from __future__ import annotations

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
