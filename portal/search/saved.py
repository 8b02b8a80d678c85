"""Saved searches: members keep a search and are told of new matches (in the site and by e-mail)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.accounts.models import User
from portal.common import ServiceError, as_utc, clean_text, has_control_chars, utcnow
from portal.content.models import Item
from portal.extensions import db
from portal.mail import absolute_url, mail_to
from portal.permissions import Actor, authorized_by, can_delete_saved_search, is_verified_member
from portal.search.models import SavedSearch
from portal.search.searching import matching

MAX_PER_MEMBER = 50


def _can_save(actor: Actor) -> bool:
    return is_verified_member(actor) and isinstance(actor, User)


@authorized_by(_can_save)
def save_search(query_string: str, name: str, *, alert: bool = True, actor: Actor) -> SavedSearch:
    """Keep this search (its URL query) for the member, with e-mail alerts unless switched off."""
    args = parse_qs(query_string[:2000], keep_blank_values=False)
    args.pop("pagina", None)
    values = [name, query_string, *(v for listed in args.values() for v in listed)]
    if any(has_control_chars(value) for value in values):
        # The name becomes an alert's Subject, the query a link: a line break breaks both.
        raise ServiceError(
            _("Een zoekopdracht of haar naam mag geen regeleinden of andere stuurtekens bevatten."),
            field="name",
        )
    if not "".join(args.get("q", [])).strip():
        raise ServiceError(_("Er is niets om te bewaren: vul eerst een zoekvraag in."), field="q")
    count = db.session.query(SavedSearch).filter_by(user_id=actor.id).count()
    if count >= MAX_PER_MEMBER:
        raise ServiceError(
            _("U kunt hoogstens %(n)d zoekopdrachten bewaren.", n=MAX_PER_MEMBER), status=409
        )
    saved = SavedSearch(
        user_id=actor.id,
        name=clean_text(
            name or args["q"][0], limit=200, field="name", label=_("de naam"), required=True
        ),
        query_string=urlencode(args, doseq=True),
        alert=alert,
    )
    db.session.add(saved)
    db.session.flush()
    return saved


@authorized_by(can_delete_saved_search)
def delete_saved_search(saved: SavedSearch, *, actor: Actor) -> None:
    db.session.delete(saved)
    db.session.flush()


def _new_since_alert(saved: SavedSearch, user: User) -> list:
    """The matches this member may see, narrowed by the saved facets, published after the last
    alert: one engine query and the facet queries, however many results there are."""
    _query, _visible, found, _hits, _limit = matching(MultiDict(parse_qs(saved.query_string)), user)
    since = as_utc(saved.alerted_until)
    return [m for m in found if m.published_at and as_utc(m.published_at) > since]


def new_matches(saved: SavedSearch, user: User) -> list:
    """Items this member may see that match and were published after the last alert, newest first."""
    ids = [m.id for m in _new_since_alert(saved, user)]
    items = db.session.scalars(select(Item).where(Item.id.in_(ids))).all()
    return sorted(items, key=lambda item: as_utc(item.published_at), reverse=True)


def new_match_count(saved: SavedSearch, user: User) -> int:
    return len(_new_since_alert(saved, user))


def send_alerts() -> tuple[int, int]:
    """Mail each member the new matches of their alerting searches; return (mails, searches).

    Safe to run twice: a search's `alerted_until` moves on, so nothing is sent twice.
    """
    mails = 0
    searches = db.session.scalars(select(SavedSearch).where(SavedSearch.alert)).all()
    for saved in searches:
        user = db.session.get(User, saved.user_id)
        if user is None or not user.is_verified:
            continue
        items = new_matches(saved, user)
        saved.alerted_until = utcnow()
        if not items:
            continue
        lines = [
            f"- {item.title}\n  {absolute_url('content.show', spec=item.kind, slug=item.slug)}"
            for item in items[:20]
        ]
        mail_to(
            user,
            lambda saved=saved, lines=lines: (
                _("Nieuw voor uw zoekopdracht '%(name)s'", name=saved.name),
                _(
                    "Nieuwe resultaten op het MVI-kennisportaal:\n\n%(lines)s\n\nZoekopdracht beheren: %(link)s",
                    lines="\n".join(lines),
                    link=absolute_url("accounts.account"),
                ),
            ),
        )
        mails += 1
    db.session.flush()
    return mails, len(searches)
