"""Questions and answers: ask, answer, vote, accept, verify, mark duplicate, comment, moderate.

A question is a knowledge item (kind 'question') made through the shared content services, so it
gets revisions, visibility and search; this module adds what differs. Services flush, never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.common import ServiceError, as_utc, clean_text, utcnow
from portal.content import services as content
from portal.content.kinds import kinds
from portal.content.models import Item
from portal.content.services import record_revision
from portal.extensions import db, lock_row
from portal.html import render_markdown
from portal.lookups import by_slug
from portal.notifications import fanout
from portal.organisations.models import Organisation
from portal.permissions import (
    SYSTEM,
    Actor,
    authorized_by,
    can_accept_answer,
    can_answer_question,
    can_ask_question,
    can_comment_answer,
    can_edit_answer,
    can_mark_duplicate,
    can_verify_answer,
    can_view_item,
    can_vote_answer,
    is_approved_member,
)
from portal.questions.models import Answer, AnswerRevision, AnswerVote, Comment, Question
from portal.questions.queries import ADDRESS_GROUPS, address_group, asking_organisation
from portal.regions.models import Region

MENTION_RE = re.compile(r"@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
NEW_ACCOUNT_DAYS = 7
NEW_ACCOUNT_POSTS_PER_DAY = 5
MAX_LINKED_ITEMS = 5
MAX_ADDRESSED = 10
MAX_MENTIONS = 10
# A second post of the same text by the same member within this time is a double submit.
TWIN_WINDOW = timedelta(minutes=2)


def _addressed_groups(keys: list[str], organisation: Organisation) -> list[Organisation]:
    """Expand group choices; an unknown or (for this asker) empty group is refused."""
    found: list[Organisation] = []
    for key in dict.fromkeys(k for k in keys if k):
        if key not in ADDRESS_GROUPS:
            raise ServiceError(_("Onbekende groep bij 'gericht aan'."), field="addressed_groups")
        members = address_group(key, organisation)
        if not members:
            raise ServiceError(
                _(
                    "De groep '%(group)s' bevat voor uw organisatie geen andere organisaties.",
                    group=ADDRESS_GROUPS[key][0],
                ),
                field="addressed_groups",
            )
        found += members
    return found


def _texts(value: Any, field: str) -> list[str]:
    """A list of slugs as a form, an import or the API gives it; anything else is refused."""
    if value is None or value == "":
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ServiceError(_("Geef een lijst met slugs."), field=field)
    return value


def apply_fields(item: Question, fields: dict[str, Any]) -> None:
    """A question's own fields (region scope, addressed organisations); used by the kind registry."""
    if "region" in fields:  # the generic edit form leaves scope and addressees as they are
        region = fields.get("region") or None
        if region is not None and not isinstance(region, str):
            raise ServiceError(_("Onbekende regio."), field="region")
        item.region = by_slug(Region, region) if region else None
        if region and item.region is None:
            raise ServiceError(_("Onbekende regio."), field="region")
    if "addressed_to" in fields:
        slugs = list(
            dict.fromkeys(s for s in _texts(fields.get("addressed_to"), "addressed_to") if s)
        )
        if len(slugs) > MAX_ADDRESSED:
            raise ServiceError(
                _("Richt een vraag aan hoogstens %(n)d organisaties.", n=MAX_ADDRESSED),
                field="addressed_to",
            )
        organisations = [by_slug(Organisation, s) for s in slugs]
        if any(o is None for o in organisations):
            raise ServiceError(_("Onbekende organisatie bij 'gericht aan'."), field="addressed_to")
        for organisation in _addressed_groups(
            _texts(fields.get("addressed_groups"), "addressed_groups"), item.organisation
        ):
            if organisation not in organisations:
                organisations.append(organisation)
        item.addressed_to = organisations


def _check_posting_rate(actor: Actor, made: int = 0) -> None:
    """New accounts post at most a few questions, answers and comments a day (made: how many of
    today's posts this request has already written)."""
    if actor is SYSTEM or not isinstance(actor, User):
        return
    if as_utc(actor.created_at) < utcnow() - timedelta(days=NEW_ACCOUNT_DAYS):
        return
    since = utcnow() - timedelta(days=1)
    posted = (
        db.session.scalar(
            select(func.count(Item.id)).where(
                Item.author_id == actor.id, Item.kind == "question", Item.created_at >= since
            )
        )
        + db.session.scalar(
            select(func.count(Answer.id)).where(
                Answer.author_id == actor.id, Answer.created_at >= since
            )
        )
        + db.session.scalar(
            select(func.count(Comment.id)).where(
                Comment.author_id == actor.id, Comment.created_at >= since
            )
        )
    )
    if posted - made >= NEW_ACCOUNT_POSTS_PER_DAY:
        raise ServiceError(
            _(
                "Nieuwe accounts kunnen de eerste week hoogstens %(n)d vragen, antwoorden en "
                "reacties per dag plaatsen. Probeert u het morgen opnieuw.",
                n=NEW_ACCOUNT_POSTS_PER_DAY,
            ),
            status=429,
        )


def _mentioned_users(text: str, item: Item) -> list[User]:
    """The members @-mentioned by e-mail address who may see item.

    Any other address (no account, not verified, no approved membership, or not allowed to see
    the question) is passed over without a word, all alike: a mention never tells the asker
    whether an address has an account.
    """
    found: list[User] = []
    addresses = list(dict.fromkeys(m.lower() for m in MENTION_RE.findall(text or "")))
    if len(addresses) > MAX_MENTIONS:
        raise ServiceError(
            _("Noem hoogstens %(n)d leden met @.", n=MAX_MENTIONS), field="body", status=400
        )
    for address in addresses:
        user = db.session.scalar(select(User).where(func.lower(User.email) == address))
        if user is not None and is_approved_member(user) and can_view_item(user, item):
            found.append(user)
    return found


@dataclass
class QuestionData:
    title: str
    body: str
    themes: list[str] = field(default_factory=list)
    product_groups: list[str] = field(default_factory=list)
    region: str | None = None
    group: str | None = None
    visibility: str = "public"
    addressed_to: list[str] = field(default_factory=list)
    # Keys of ADDRESS_GROUPS ("groter", "regio", "type"), expanded to organisations on saving.
    addressed_groups: list[str] = field(default_factory=list)
    form_token: str | None = None  # the ask form's token: a second submit asks nothing new


@authorized_by(can_ask_question)
def ask_question(data: QuestionData, *, actor: Actor) -> Question:
    """Publish a question under the asker's organisation; tell followers, addressed "vraagbaken"
    and mentioned members. A second submit of the same form answers with the question the first
    one asked (see content.create_item_once)."""

    if len((data.title or "").strip()) < 10:
        raise ServiceError(_("Stel uw vraag in minstens 10 tekens."), field="title")
    organisation = asking_organisation(actor)
    if organisation is None:
        raise ServiceError(_("U moet lid zijn van een organisatie om een vraag te stellen."))
    visibility = "group" if data.group else data.visibility
    item_data = content.ItemData(
        title=data.title, summary="", body=data.body, themes=data.themes,
        product_groups=data.product_groups, tags=[], year=utcnow().year, status="published",
        visibility=visibility, group=data.group or None,
        fields={"region": data.region, "addressed_to": data.addressed_to,
                "addressed_groups": data.addressed_groups},
        form_token=data.form_token,
    )  # fmt: skip
    question, new = content.create_item_once(
        organisation, kinds()["question"], item_data, actor=actor
    )
    if not new:
        return question  # its notices went out with the first submit
    _check_posting_rate(actor, made=1)
    mentions = _mentioned_users(data.body, question)
    question.mentions = mentions
    fanout.follow_item(actor, question)
    db.session.flush()
    url = fanout.item_url(question)
    direct = fanout.vraagbaak_members(question.addressed_to) + mentions
    fanout.notify(
        direct, key=f"asked:{question.id}", item=question, url=url, actor=actor,
        message=_l("%(name)s stelt een vraag aan u of uw organisatie: %(title)s",
                  name=actor.name, title=question.title),
    )  # fmt: skip
    fanout.notify(
        fanout.followers(question, include_item=False), key=f"published:{question.id}",
        item=question, url=url, actor=actor, exclude=direct,
        message=_l("Nieuwe vraag van %(org)s: %(title)s", org=question.organisation.name,
                  title=question.title),
    )  # fmt: skip
    return question


def _linked_items(slugs: list[str], actor: Actor) -> list[Item]:
    items = []
    slugs = list(dict.fromkeys(s.strip() for s in slugs if s and s.strip()))
    if len(slugs) > MAX_LINKED_ITEMS:
        raise ServiceError(
            _("Koppel hoogstens %(n)d kennisitems.", n=MAX_LINKED_ITEMS), field="linked_items"
        )
    for slug in slugs:
        item = db.session.scalar(select(Item).where(Item.slug == slug.strip()))
        if item is None or item.kind == "question" or not can_view_item(actor, item):
            raise ServiceError(
                _("Onbekend kennisitem: %(slug)s", slug=slug[:100]), field="linked_items"
            )
        items.append(item)
    return items


def _revision(answer: Answer, actor: Actor) -> None:
    stored = db.session.scalar(
        select(func.max(AnswerRevision.number)).where(AnswerRevision.answer_id == answer.id)
    )
    number = max(stored or 0, len(answer.revisions)) + 1
    answer.revisions.append(
        AnswerRevision(
            number=number,
            editor_id=getattr(actor, "id", None),
            editor_name=getattr(actor, "name", "Systeem"),
            body_md=answer.body_md,
        )
    )


def _twin_answer(question: Question, text: str, items: list[Item], actor: Actor) -> Answer | None:
    """The actor's answer to question with this text and these linked items, posted within
    TWIN_WINDOW."""
    if not isinstance(actor, User):
        return None
    recent = db.session.scalars(
        select(Answer)
        .where(
            Answer.question_id == question.id,
            Answer.author_id == actor.id,
            Answer.body_md == text,
            Answer.created_at >= utcnow() - TWIN_WINDOW,
        )
        .order_by(Answer.id)
    )
    wanted = {i.id for i in items}
    return next((a for a in recent if {i.id for i in a.linked_items} == wanted), None)


@authorized_by(can_answer_question)
def answer_question(
    question: Question, body: str, linked: list[str] | None = None, *, actor: Actor
) -> Answer:
    """Add an answer (optionally linking knowledge items); tell the asker and followers.

    The same answer again from the same member within TWIN_WINDOW (a double click, a form sent
    twice) is not added: the one already there is returned."""
    # The question's row is held first, so of two simultaneous posts the second waits here and
    # then finds the first.
    lock_row(Item.__table__.c.kind, question.id)
    text = clean_text(body, limit=20000, field="body", label=_("het antwoord"), required=True)
    items = _linked_items(linked or [], actor)
    twin = _twin_answer(question, text, items, actor)
    if twin is not None:
        return twin
    _check_posting_rate(actor)
    membership = next((m for m in getattr(actor, "memberships", []) if m.is_approved), None)
    answer = Answer(
        question=question,
        author=actor if isinstance(actor, User) else None,
        organisation_id=membership.organisation_id if membership else None,
        body_md=text,
        body_html=render_markdown(text),
        linked_items=items,
    )
    db.session.add(answer)
    _revision(answer, actor)
    db.session.flush()
    fanout.follow_item(actor, question)
    author = [question.author] if question.author is not None else []
    fanout.notify(
        author + fanout.followers(question),
        key=f"answer:{answer.id}",
        message=_l("%(name)s beantwoordde de vraag '%(title)s'", name=actor.name,
                  title=question.title),
        item=question, url=fanout.item_url(question) + answer.anchor, actor=actor,
    )  # fmt: skip
    return answer


@authorized_by(can_edit_answer)
def edit_answer(
    answer: Answer, body: str, linked: list[str] | None = None, *, actor: Actor
) -> None:
    """Save an edited answer with a revision; an unchanged save (or the twin of a simultaneous
    one: the row is locked and re-read first) keeps none."""
    lock_row(Answer.__table__.c.updated_at, answer.id)
    db.session.refresh(answer)
    text = clean_text(body, limit=20000, field="body", label=_("het antwoord"), required=True)
    items = _linked_items(linked or [], actor)
    if text == answer.body_md and [i.id for i in items] == [i.id for i in answer.linked_items]:
        return
    answer.body_md, answer.body_html = text, render_markdown(text)
    answer.linked_items = items
    answer.updated_at = utcnow()
    _revision(answer, actor)
    db.session.flush()


@authorized_by(can_vote_answer)
def vote_answer(answer: Answer, *, actor: Actor) -> None:
    """One "nuttig" per member; never for one's own answer."""
    if answer.author_id == actor.id:
        raise ServiceError(_("U kunt uw eigen antwoord niet als nuttig markeren."), status=403)
    twice = ServiceError(_("U heeft dit antwoord al als nuttig gemarkeerd."), status=409)
    if db.session.get(AnswerVote, (actor.id, answer.id)) is not None:
        raise twice
    try:
        with db.session.begin_nested():  # two clicks at once: the second meets the primary key
            db.session.add(AnswerVote(user_id=actor.id, answer_id=answer.id))
    except IntegrityError:
        raise twice from None
    # Counted in SQL, so concurrent votes add up (and a vote does not re-index the question).
    db.session.execute(
        update(Answer).where(Answer.id == answer.id).values(useful_count=Answer.useful_count + 1)
    )
    db.session.flush()


@authorized_by(can_accept_answer)
def accept_answer(answer: Answer, *, actor: Actor) -> None:
    """The asker accepts one answer (accepting another moves the mark)."""
    if answer.hidden_at is not None:
        raise ServiceError(_("Een verborgen antwoord kan niet worden geaccepteerd."), status=409)
    for other in answer.question.answers:
        other.accepted_at = None
    answer.accepted_at = utcnow()
    db.session.flush()
    if answer.author is not None:
        fanout.notify(
            [answer.author],
            key=f"accepted:{answer.id}",
            message=_l("Uw antwoord op '%(title)s' is geaccepteerd", title=answer.question.title),
            item=answer.question, url=fanout.item_url(answer.question) + answer.anchor,
            actor=actor,
        )  # fmt: skip


@authorized_by(can_verify_answer)
def verify_answer(answer: Answer, *, actor: Actor) -> None:
    """Mark an answer as checked by a moderator or designated expert, with the date."""
    if answer.hidden_at is not None:
        raise ServiceError(_("Een verborgen antwoord kan niet worden geverifieerd."), status=409)
    if answer.author_id is not None and answer.author_id == getattr(actor, "id", None):
        raise ServiceError(_("U kunt uw eigen antwoord niet verifiëren."), status=403)
    answer.verified_at = utcnow()
    answer.verified_by = actor if isinstance(actor, User) else None
    db.session.flush()
    question = answer.question
    people = [u for u in (answer.author, question.author) if u is not None]
    fanout.notify(
        people,
        key=f"verified:{answer.id}",
        message=_l("Een antwoord op '%(title)s' is geverifieerd", title=question.title),
        item=question, url=fanout.item_url(question) + answer.anchor, actor=actor,
    )  # fmt: skip


@authorized_by(can_mark_duplicate)
def mark_duplicate(question: Question, original_slug: str, *, actor: Actor) -> None:
    original = db.session.scalar(
        select(Question).where(Question.slug == (original_slug or "").strip())
    )
    if original is None or not can_view_item(actor, original):
        raise ServiceError(_("Kies een bestaande vraag."), field="original")
    if original.id == question.id or original.duplicate_of_id == question.id:
        raise ServiceError(_("Een vraag kan geen dubbel van zichzelf zijn."), field="original")
    question.duplicate_of = original
    record_revision(question, actor)
    db.session.flush()


@authorized_by(can_comment_answer)
def comment_answer(answer: Answer, body: str, *, actor: Actor) -> Comment:
    """React to an answer; the same reaction again within TWIN_WINDOW returns the first."""
    lock_row(Answer.__table__.c.updated_at, answer.id)  # see answer_question
    text = clean_text(body, limit=2000, field="body", label=_("de reactie"), required=True)
    if isinstance(actor, User):
        twin = db.session.scalar(
            select(Comment)
            .where(
                Comment.answer_id == answer.id,
                Comment.author_id == actor.id,
                Comment.body == text,
                Comment.created_at >= utcnow() - TWIN_WINDOW,
            )
            .order_by(Comment.id)
            .limit(1)
        )
        if twin is not None:
            return twin
    _check_posting_rate(actor)
    comment = Comment(answer=answer, author=actor if isinstance(actor, User) else None, body=text)
    db.session.add(comment)
    db.session.flush()
    return comment
