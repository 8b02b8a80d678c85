"""Dutch the way buyers type it (issue 17): plurals that double a consonant, verbs and their
-ing nouns, a question's frame words, and the seeded concepts for words no example uses."""

from __future__ import annotations

import pytest

from portal.search.analysis import stem, tokens
from portal.search.concepts import expand
from portal.search.query import parse
from tests.factories import make_item
from tests.test_search_ranking import titles


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        ("waterschappen", "waterschap"),
        ("stoffen", "stof"),
        ("bussen", "bus"),
        ("betonnen", "beton"),
    ],
)
def test_a_plural_that_doubles_its_consonant_meets_its_singular(plural, singular):
    assert stem(plural) == stem(singular)


@pytest.mark.parametrize(
    ("typed", "word"), [("dienstauto's", "dienstauto"), ("collega’s", "collega")]
)
def test_an_apostrophe_s_is_the_word_itself(typed, word):
    assert tokens(typed) == [word]


@pytest.mark.parametrize("word", ["leveren", "levering", "geleverd", "levert"])
def test_a_verb_its_noun_and_participle_share_a_stem(word):
    assert stem(word) == stem("leveren")


def test_waterschappen_finds_the_waterschap(client, world):
    make_item("plan", world.utrecht, title="Actieplan van het waterschap")
    assert titles(client, "MVI bij waterschappen") == ["Actieplan van het waterschap"]


def test_a_participle_finds_the_verb(client, world):
    make_item("lesson", world.utrecht, title="Leveren binnen drie maanden")
    make_item("lesson", world.utrecht, title="Op tijd betalen")
    assert titles(client, "geleverd") == ["Leveren binnen drie maanden"]


@pytest.mark.parametrize(
    ("query", "groups"),
    [
        ("hoe pak ik een marktconsultatie aan", ["marktconsultatie"]),
        ("hoe weeg ik social return mee in de gunning", ["social", "return", "gunning"]),
        ("hoeveel duurder is emissievrij vervoer", ["duurder", "emissievrij", "vervoer"]),
        ("werkkleding repareren in plaats van vervangen", ["werkkled", "reparer", "vervang"]),
        # Not a question: every word is meant.
        ("pak en werkkleding", ["pak", "werkkled"]),
    ],
)
def test_a_questions_frame_words_are_not_searched(query, groups):
    assert [group.key for group in parse(query).groups] == groups


def test_a_question_ranks_by_its_subject_not_its_frame(client, world):
    make_item("lesson", world.utrecht, title="Pak de planning van het project vroeg aan",
              body="Een marktconsultatie kan daarbij helpen.")  # fmt: skip
    make_item("lesson", world.utrecht, title="Een marktconsultatie hoeft niet groot te zijn")
    found = titles(client, "hoe pak ik een marktconsultatie aan")
    assert found[0] == "Een marktconsultatie hoeft niet groot te zijn"


def test_only_frame_words_still_search_something(client, world):
    make_item("lesson", world.utrecht, title="Pak het aan")
    assert parse("hoe pak ik het aan").is_empty  # nothing left to search: the page says so
    assert client.get("/zoeken?q=hoe+pak+ik+het+aan").status_code == 200


def test_seeded_concepts_bridge_words_no_example_uses(app, client, world):
    from portal.seeding import Loader

    make_item("tender", world.utrecht, title="Lease van dienstauto's voor een kleine gemeente")
    make_item("criterion", world.utrecht, title="Minimaal 30% refurbished smartphones")
    make_item("lesson", world.utrecht, title="Geen chemische onkruidbestrijding in het groen",
              body="Bestrijdingsmiddelen zijn in het hele areaal verboden.")  # fmt: skip
    assert titles(client, "poolauto") == []
    Loader().concepts()
    from portal.extensions import db

    db.session.commit()
    assert titles(client, "poolauto") == ["Lease van dienstauto&#39;s voor een kleine gemeente"]
    assert titles(client, "tweedehands telefoons") == ["Minimaal 30% refurbished smartphones"]
    assert titles(client, "onkruid zonder gif") == [
        "Geen chemische onkruidbestrijding in het groen"
    ]
    assert "wagenpark" in expand(parse("poolauto")).concepts
