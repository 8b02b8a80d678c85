"""Issue 10: a form sent twice (a double click, a retried post, two tabs) changes things once.

Each race is replayed deterministically: the same form data posted twice in a row, a request
that loaded the item before the first save committed, or two threads on their own database
connections where the second waits for the first's lock (same outcome whichever runs first)."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.accounts.models import User
from portal.common import utcnow
from portal.content import services
from portal.content import views as content_views
from portal.content.kinds import kinds
from portal.content.models import Bookmark, Item, Revision, UsefulMark
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.permissions import SYSTEM
from portal.questions import services as qa
from portal.questions.models import Answer, Comment, Question
from tests.conftest import login
from tests.factories import make_item
from tests.test_trust_forms import submitted

TOKEN_RE = re.compile(r'name="form_token" type="hidden" value="([0-9a-f]{32})"')


def _token(html: str) -> str:
    found = TOKEN_RE.findall(html)
    assert len(found) == 1, "the create form carries one hidden form_token"
    return found[0]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


class Worker(threading.Thread):
    """Run work in its own app context, so with its own session on its own connection, and
    commit; keep its result or its error."""

    def __init__(self, app, work) -> None:
        super().__init__(daemon=True)
        self.app, self.work = app, work
        self.result = self.error = None

    def run(self) -> None:
        with self.app.app_context():
            try:
                self.result = self.work()
                db.session.commit()
            except BaseException as error:  # handed to the test, which raises it
                db.session.rollback()
                self.error = error
            finally:
                db.session.remove()

    def outcome(self):
        self.join(30)
        assert not self.is_alive(), "the worker hangs"
        if self.error is not None:
            raise self.error
        return self.result


def _race(app, first, second, *, loaded_first=None):
    """first writes and flushes and keeps its transaction open while second starts; then first
    commits. The second waits at first's lock, or, arriving after the commit, finds what first
    stored: either way the outcome is the same, so the test does not depend on timing.

    loaded_first: work the second request does before the first writes (it loads the item that
    the first then changes); second receives its result."""
    flushed, commit, loaded, go = (threading.Event() for _ in range(4))
    seen = {}

    def run_first():
        if loaded_first is not None:
            assert loaded.wait(10)
        result = first()
        db.session.flush()
        flushed.set()
        assert commit.wait(10)
        return result

    def run_second():
        if loaded_first is not None:
            seen["value"] = loaded_first()
            loaded.set()
            assert go.wait(10)
            return second(seen["value"])
        return second()

    db.session.commit()  # the test's own session holds nothing while the workers run
    a = Worker(app, run_first)
    a.start()
    b = Worker(app, run_second)
    if loaded_first is not None:
        b.start()
    assert flushed.wait(10), a.error
    if loaded_first is not None:
        go.set()
    else:
        b.start()
    time.sleep(0.3)  # most likely the second now waits at the lock
    commit.set()
    return a.outcome(), b.outcome()


# --- (a) Creates: one rendered form makes one item ----------------------------------------------

COMMON = {
    "title": "Dubbel ingediend: MKI bij asfaltonderhoud",
    "status": "published",
    "visibility": "public",
}
CREATES = {
    "tender": ("/aanbestedingen/nieuw", {"tender_status": "gegund"}),
    "criterion": ("/criteria/nieuw", {"clause_text": "De inschrijver levert een MKI-berekening."}),
    "consultation": ("/marktconsultaties/nieuw", {"purpose": "Markt verkennen."}),
    "lesson": ("/lessen/nieuw", {"lesson": "Betrek de contractmanager al bij het specificeren."}),
    "event": (
        "/bijeenkomsten/nieuw",
        {"starts_at": "2030-12-03T13:30", "ends_at": "2030-12-03T16:00", "location": "Stadhuis"},
    ),
    "question": ("/vragen/nieuw", {"body": "Wie heeft hier ervaring mee?"}),
}


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_a_create_form_sent_twice_makes_one_item(client, world, as_user, kind):
    url, fields = CREATES[kind]
    as_user(world.utrecht_member)
    page = client.get(url).get_data(as_text=True)
    token = _token(page)
    data = submitted(page, **COMMON, **fields)
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    items = db.session.scalars(select(Item)).all()
    assert [(i.kind, i.external_id) for i in items] == [(kind, f"mvi-{token}")]
    assert [r.number for r in items[0].revisions] == [1]
    shown = client.get(second.headers["Location"], follow_redirects=True)
    assert shown.status_code == 200 and COMMON["title"] in shown.get_data(as_text=True)


def test_the_token_survives_a_refused_submit_and_two_tabs_make_two_items(client, world, as_user):
    url, fields = CREATES["lesson"]
    as_user(world.utrecht_member)
    page = client.get(url).get_data(as_text=True)
    token = _token(page)
    refused = client.post(url, data=submitted(page, **{**COMMON, "title": ""}, **fields))
    assert refused.status_code == 400
    again = refused.get_data(as_text=True)
    assert _token(again) == token  # the same form, shown again
    data = submitted(again, **COMMON, **fields)
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert _count(Item) == 1
    # Another tab (another rendered form) with the same title is another item, with its own slug.
    other = client.get(url).get_data(as_text=True)
    assert _token(other) != token
    assert client.post(url, data=submitted(other, **COMMON, **fields)).status_code == 302
    slugs = db.session.scalars(select(Item.slug).order_by(Item.id)).all()
    slug = "dubbel-ingediend-mki-bij-asfaltonderhoud"
    assert slugs == [slug, f"{slug}-2"]


def test_a_changed_form_sent_again_is_a_new_item(client, world, as_user):
    url, fields = CREATES["lesson"]
    as_user(world.utrecht_member)
    page = client.get(url).get_data(as_text=True)
    first = client.post(url, data=submitted(page, **COMMON, **fields))
    # Back in the browser, the title changed, sent again: the user means a second item.
    second = client.post(
        url, data=submitted(page, **{**COMMON, "title": "Een andere les over MKI"}, **fields)
    )
    assert second.headers["Location"] != first.headers["Location"]
    assert _count(Item) == 2


def test_someone_elses_token_or_a_malformed_one_makes_a_fresh_item(client, world, as_user):
    url, fields = CREATES["lesson"]
    as_user(world.utrecht_member)
    page = client.get(url).get_data(as_text=True)
    token = _token(page)
    data = submitted(page, **COMMON, **fields)
    mine = client.post(url, data=data)
    client.post("/uitloggen")
    as_user(world.utrecht_editor)  # the same organisation, another member: never their item
    theirs = client.post(url, data=data)
    assert theirs.status_code == 302 and theirs.headers["Location"] != mine.headers["Location"]
    for bad in ("../../etc/passwd", "A" * 32, token + "0", ""):
        data.setlist("form_token", [bad])
        assert client.post(url, data=data).status_code == 302
    ids = db.session.scalars(select(Item.external_id).order_by(Item.id)).all()
    assert len(ids) == 6 == len(set(ids)) and ids[0] == f"mvi-{token}"
    # The service passes over a malformed token too, whoever calls it.
    made = services.create_item(
        world.utrecht,
        kinds()["lesson"],
        services.ItemData(
            title="Via de dienst", status="published", fields={"lesson": "Les."}, form_token="x"
        ),
        actor=world.utrecht_member,
    )
    assert made.external_id.startswith("mvi-") and made.external_id != "mvi-x"


def test_a_token_taken_meanwhile_meets_the_unique_key_and_gets_a_fresh_id(world, monkeypatch):
    """A create that found the token free, while another made an item with it before the
    insert (only possible for another member: one member's creates wait for each other)."""
    token = "0123456789abcdef0123456789abcdef"

    def data(title):
        return services.ItemData(
            title=title, status="published", fields={"lesson": "Les."}, form_token=token
        )

    services.create_item(
        world.utrecht, kinds()["lesson"], data("Eerst"), actor=world.utrecht_editor
    )
    db.session.commit()
    # As if the other item were not committed yet when this create looked the token up.
    monkeypatch.setattr(services, "_item_named", lambda external_id: None)
    item = services.create_item(
        world.utrecht, kinds()["lesson"], data("Daarna"), actor=world.utrecht_member
    )
    db.session.commit()
    assert item.external_id != f"mvi-{token}" and _count(Item) == 2


def test_two_simultaneous_creates_of_one_form_make_one_item(app, world):
    token = "fedcba9876543210fedcba9876543210"
    member_id, organisation_id = world.utrecht_member.id, world.utrecht.id

    def create():
        data = services.ItemData(
            title="Tegelijk verstuurd", status="published", fields={"lesson": "Les."},
            form_token=token,
        )  # fmt: skip
        actor = db.session.get(User, member_id)
        organisation = db.session.get(Organisation, organisation_id)
        return services.create_item(organisation, kinds()["lesson"], data, actor=actor).id

    first, second = _race(app, create, create)
    assert first == second and _count(Item) == 1


# --- (b) Answers and comments: the same text twice is one post ----------------------------------


def _question(world) -> Question:
    asked = qa.ask_question(
        qa.QuestionData(title="Hoe vraag ik social return onder de drempel?", body="."),
        actor=world.heumen_admin,
    )
    db.session.commit()
    return asked


def test_an_answer_sent_twice_is_one_answer(client, world, as_user):
    asked = _question(world)
    as_user(world.utrecht_member)
    url = f"/vragen/{asked.slug}/antwoorden"
    data = {"body": "Wij vroegen 5% SROI in de offerte.", "linked_items": ""}
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    assert _count(Answer) == 1
    # Another text is another answer; so is the same text again later.
    assert client.post(url, data={"body": "En een leerwerkplek."}).status_code == 302
    assert _count(Answer) == 2
    db.session.execute(update(Answer).values(created_at=utcnow() - timedelta(minutes=3)))
    db.session.commit()
    assert client.post(url, data=data).status_code == 302
    assert _count(Answer) == 3


def test_the_same_text_with_other_linked_items_is_another_answer(client, world, as_user):
    asked = _question(world)
    tender = make_item("tender", world.utrecht)
    as_user(world.utrecht_member)
    url = f"/vragen/{asked.slug}/antwoorden"
    client.post(url, data={"body": "Zie ons voorbeeld."})
    client.post(url, data={"body": "Zie ons voorbeeld.", "linked_items": tender.slug})
    assert _count(Answer) == 2  # the second adds the example the first forgot: not dropped


def test_a_comment_sent_twice_is_one_comment(client, world, as_user):
    asked = _question(world)
    answer = qa.answer_question(asked, "Vraag het aan de markt.", actor=world.utrecht_member)
    db.session.commit()
    as_user(world.utrecht_editor)
    url = f"/antwoorden/{answer.id}/reacties"
    first = client.post(url, data={"body": "Goed idee!"})
    second = client.post(url, data={"body": "Goed idee!"})
    assert first.status_code == second.status_code == 302
    assert _count(Comment) == 1


def test_two_simultaneous_answers_of_one_form_make_one_answer(app, world):
    question_id, member_id = _question(world).id, world.utrecht_member.id

    def answer():
        question = db.session.get(Question, question_id)
        actor = db.session.get(User, member_id)
        return qa.answer_question(question, "Tegelijk verstuurd antwoord.", actor=actor).id

    first, second = _race(app, answer, answer)
    assert first == second and _count(Answer) == 1


# --- (c) Edits: one form saved twice keeps one revision -----------------------------------------


def _data_like(item: Item, **changes) -> services.ItemData:
    """What the item's edit form would send unchanged, with changes."""
    shown = services.snapshot(item)
    keys = ("title", "summary", "body", "themes", "product_groups", "tags", "year", "status",
            "visibility", "group", "reviewed_at", "fields")  # fmt: skip
    return services.ItemData(**{**{k: shown[k] for k in keys}, **changes})


def test_an_edit_form_sent_twice_keeps_one_revision(client, world, as_user, monkeypatch):
    item = make_item("lesson", world.utrecht, author=world.utrecht_member)
    before = {"summary": item.summary, "updated_at": item.updated_at}
    as_user(world.utrecht_editor)
    url = f"/lessen/{item.slug}/bewerken"
    data = submitted(client.get(url).get_data(as_text=True), summary="Een nieuwe samenvatting.")
    assert client.post(url, data=data).status_code == 302
    saved_at = db.session.get(Item, item.id).updated_at

    real_load = content_views.load_visible

    def loaded_before_the_first_save(spec, slug):
        # The second request read the item while the first was still saving.
        loaded = real_load(spec, slug)
        for name, value in before.items():
            set_committed_value(loaded, name, value)
        return loaded

    monkeypatch.setattr(content_views, "load_visible", loaded_before_the_first_save)
    second = client.post(url, data=data)
    assert second.status_code == 302
    db.session.expire_all()
    item = db.session.get(Item, item.id)
    assert [r.number for r in item.revisions] == [1, 2]
    assert item.summary == "Een nieuwe samenvatting." and item.updated_at == saved_at


def test_an_edit_numbers_its_revision_after_the_stored_ones(world):
    item = make_item("lesson", world.utrecht, author=world.utrecht_member)
    stale_revisions = list(item.revisions)
    services.update_item(item, _data_like(item, summary="Eerste wijziging."), actor=world.utrecht_editor)  # fmt: skip
    db.session.commit()
    # An item object whose revisions were read before that save (another request's).
    set_committed_value(item, "revisions", stale_revisions)
    changed = services.update_item(
        item, _data_like(item, summary="Tweede wijziging."), actor=world.utrecht_editor
    )
    db.session.commit()
    assert changed
    numbers = db.session.scalars(
        select(Revision.number).where(Revision.item_id == item.id).order_by(Revision.number)
    ).all()
    assert numbers == [1, 2, 3]


def test_two_simultaneous_saves_of_one_edit_form_keep_one_revision(app, world):
    item = make_item("lesson", world.utrecht, author=world.utrecht_member)
    item_id, editor_id = item.id, world.utrecht_editor.id

    def load():
        loaded = db.session.get(Item, item_id)
        services.snapshot(loaded)  # everything the edit view reads
        return loaded

    def save(loaded=None):
        loaded = loaded if loaded is not None else load()
        changed = services.update_item(
            loaded,
            _data_like(loaded, summary="Tegelijk opgeslagen."),
            actor=db.session.get(User, editor_id),
        )
        return changed

    first, second = _race(app, save, save, loaded_first=load)
    assert (first, second) == (True, False)
    numbers = db.session.scalars(select(Revision.number).where(Revision.item_id == item_id)).all()
    assert sorted(numbers) == [1, 2]


# --- (d) On/off buttons say which state they want ---------------------------------------------


def test_nuttig_and_bewaren_clicked_twice_stay_as_asked(client, world, as_user):
    item = make_item("lesson", world.utrecht)
    as_user(world.heumen_admin)
    base = f"/lessen/{item.slug}"
    page = client.get(base).get_data(as_text=True)
    assert page.count('name="aan" value="1"') == 2  # "Bewaren" and "Nuttig" ask for "on"

    def post(action, aan):
        response = client.post(f"{base}/{action}", data={"aan": aan}, follow_redirects=True)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def state():
        db.session.expire_all()
        count = db.session.scalar(select(Item.useful_count).where(Item.id == item.id))
        return (_count(UsefulMark) == 1, _count(Bookmark) == 1), count

    for _ in range(2):
        assert "Bedankt voor uw waardering." in post("nuttig", "1")
        post("bewaren", "1")
    assert state() == ((True, True), 1)
    assert 'name="aan" value="0"' in client.get(base).get_data(as_text=True)
    for _ in range(2):
        shown = post("nuttig", "0")
        assert "Uw waardering is ingetrokken." in shown and "Bedankt" not in shown
        post("bewaren", "0")
    assert state() == ((False, False), 0)
    # A button from a page made before it said which still toggles.
    client.post(f"{base}/nuttig")
    client.post(f"{base}/bewaren")
    assert state() == ((True, True), 1)
    shown = client.post(f"{base}/nuttig", follow_redirects=True).get_data(as_text=True)
    assert "Uw waardering is ingetrokken." in shown and state()[1] == 0


def test_the_basket_button_clicked_twice_stays_as_asked(client, world, as_user):
    item = make_item("criterion", world.utrecht)
    as_user(world.heumen_admin)
    url = f"/criteria/{item.slug}/mandje"
    for _ in range(2):
        assert client.post(url, data={"aan": "1"}).status_code == 302
    assert item.title in client.get("/mandje").get_data(as_text=True)
    for _ in range(2):
        client.post(url, data={"aan": "0", "next": "/mandje"})
    assert item.title not in client.get("/mandje").get_data(as_text=True)
    client.post(url)  # an old page: toggles
    assert item.title in client.get("/mandje").get_data(as_text=True)


def test_only_create_forms_carry_a_token_and_item_pages_say_the_wanted_state(client, world):
    item = make_item("criterion", world.utrecht)
    login(client, world.utrecht_editor.email)
    page = client.get(f"/criteria/{item.slug}").get_data(as_text=True)
    assert page.count('name="aan" value="1"') == 3  # bewaren, nuttig, mandje
    edit = client.get(f"/criteria/{item.slug}/bewerken")
    assert edit.status_code == 200 and 'name="form_token"' not in edit.get_data(as_text=True)
    assert _token(client.get("/criteria/nieuw").get_data(as_text=True))
    assert _token(client.get("/vragen/nieuw").get_data(as_text=True))


def test_two_members_adding_the_same_new_tag_at_once_share_it(world, monkeypatch):
    """The second insert meets the tag's unique key (the first committed between its lookup and
    its insert) and takes the tag the first one made, instead of a 500."""
    from portal.content import services as content_services
    from portal.content.models import Tag

    first = make_item("lesson", world.utrecht, title="Eerste met tag")
    content_services.update_item(first, _data_like(first, tags=["zonnepanelen"]), actor=SYSTEM)
    db.session.commit()
    original = content_services.by_slug
    monkeypatch.setattr(
        content_services, "by_slug",
        lambda model, slug: None if model is Tag else original(model, slug),
    )  # fmt: skip
    second = make_item("lesson", world.heumen, title="Tweede met tag")
    content_services.update_item(second, _data_like(second, tags=["zonnepanelen"]), actor=SYSTEM)
    db.session.commit()
    assert db.session.scalar(select(func.count(Tag.id)).where(Tag.slug == "zonnepanelen")) == 1
    assert [t.slug for t in second.tags] == ["zonnepanelen"]


def test_a_double_click_on_saving_an_edited_answer_keeps_one_revision(world):
    from portal.questions.models import AnswerRevision

    asked = qa.ask_question(qa.QuestionData(title="Wie heeft ervaring met SROI?", body="?"),
                            actor=world.heumen_admin)  # fmt: skip
    answer = qa.answer_question(asked, "Eerste versie.", actor=world.utrecht_member)
    db.session.commit()

    def revisions() -> int:
        return db.session.scalar(
            select(func.count(AnswerRevision.id)).where(AnswerRevision.answer_id == answer.id)
        )

    before = revisions()
    qa.edit_answer(answer, "Tweede versie.", actor=world.utrecht_member)
    db.session.commit()
    qa.edit_answer(answer, "Tweede versie.", actor=world.utrecht_member)  # the second click
    db.session.commit()
    assert revisions() == before + 1
