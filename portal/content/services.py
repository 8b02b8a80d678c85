"""Writes shared by every kind of knowledge item: create, edit (with a revision), status, links,
attachments, bookmarks, 'nuttig' marks and reports. Per kind only `apply_fields` differs."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.common import SLUG_RE, ServiceError, clean_text, slugify, utcnow
from portal.content import counting, files
from portal.content.kinds import KindSpec, kind_of
from portal.content.models import (
    STATUSES,
    VISIBILITIES,
    Attachment,
    Bookmark,
    CoOwnerInvitation,
    Item,
    ItemLink,
    Report,
    Revision,
    SlugRedirect,
    Tag,
    UsefulMark,
    new_external_id,
)
from portal.content.signals import co_owner_invited, item_linked, item_published, item_revised
from portal.content.storage import FileStore, OpenedFile, StorageError, file_store
from portal.content.validation import iso_date
from portal.extensions import db, lock_row, on_commit, on_rollback
from portal.forms import FORM_TOKEN_RE
from portal.groups.models import WorkingGroup
from portal.html import render_markdown
from portal.lookups import by_slug
from portal.mail import mail_to
from portal.organisations.models import Organisation
from portal.permissions import (
    Actor,
    authorized_by,
    can_accept_co_ownership,
    can_create_item,
    can_edit_item,
    can_link_items,
    can_mark_item,
    can_moderate,
    can_view_item,
    is_group_member,
    may_consent_for,
)
from portal.taxonomy.models import ProductGroup, Theme

MAX_TAGS = 10
MAX_NEW_ATTACHMENTS = 5  # files on a create form (more can be added on the item's page)

log = logging.getLogger(__name__)


@dataclass
class ItemData:
    """The fields of any knowledge item, as a form, an import line or a seed gives them."""

    title: str
    summary: str = ""
    body: str = ""
    themes: list[str] = field(default_factory=list)  # slugs or names
    product_groups: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    year: int | str | None = None
    status: str = "draft"
    visibility: str = "public"
    group: str | None = None  # working-group slug, for visibility "group"
    co_owners: list[Organisation] = field(default_factory=list)
    reviewed_at: date | str | None = None
    external_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # the kind's own fields
    slug: str | None = None  # wished for on create (an import keeps its slugs); used when free
    form_token: str | None = None  # the create form's own token (see create_item_once)
    # Files to attach on create: (name, content); each checked as add_attachment checks it.
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def _lock_item(item: Item) -> None:
    """Hold the item's row until commit and read the item afresh: a simultaneous save of the same
    item (a double click, another tab) compares with what the first one stored."""
    lock_row(Item.__table__.c.kind, item.id)
    db.session.expire(item)


def _terms(model: type, values: list[str], field_name: str, label: str) -> list:
    found = []
    for value in values:
        value = str(value).strip()
        if not value:
            continue
        term = by_slug(model, value) or db.session.scalar(select(model).where(model.name == value))
        if term is None:
            raise ServiceError(
                _("Onbekende waarde '%(value)s' voor %(label)s.", value=value[:60], label=label),
                field=field_name,
            )
        if term not in found:
            found.append(term)
    # The same order the relationship loads in, so an unchanged save compares equal.
    return sorted(found, key=lambda t: (t.position, t.name))


def normalise_tag(raw: str) -> str:
    """'  MKI ' -> 'mki'; inner spaces folded; at most 40 characters."""
    return re.sub(r"\s+", " ", raw.strip().lower())[:40]


def _tags(values: list[str]) -> list[Tag]:
    names = list(dict.fromkeys(t for t in (normalise_tag(v) for v in values) if t))
    if len(names) > MAX_TAGS:
        raise ServiceError(_("Geef hoogstens %(n)d tags op.", n=MAX_TAGS), field="tags")
    tags = []
    for name in names:
        slug = slugify(name, 60)
        tag = by_slug(Tag, slug)
        if tag is None:
            tag = Tag(slug=slug, name=name)
            try:  # another member may add the same new tag at this very moment
                with db.session.begin_nested():
                    db.session.add(tag)
            except IntegrityError:
                tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
                if tag is None:
                    raise
        tags.append(tag)
    return sorted(tags, key=lambda t: t.name)


def _refuse_publishing_hidden(item: Item, status: str) -> None:
    """A moderator-hidden item stays hidden: publishing it again is for a moderator's restore."""
    if status == "published" and item.hidden_at is not None:
        raise ServiceError(
            _("Een moderator heeft dit item verborgen; alleen een moderator kan het terugzetten."),
            field="status",
            status=409,
        )


def _set_co_owners(item: Item, named: list[Organisation], actor: Actor) -> list[Organisation]:
    """Make the named organisations co-owners: dropping one needs no consent; adding one does.

    An organisation whose editor or admin is the actor (or the import, SYSTEM) joins at once; any
    other is invited (see _invite_co_owners) and joins only when its editor accepts. Returns the
    organisations still to ask."""
    wanted = {o.id: o for o in named if o.id != item.organisation_id}
    kept = [o for o in item.co_owners if o.id in wanted]
    kept_ids = {o.id for o in kept}
    joining = [o for o in wanted.values() if o.id not in kept_ids and may_consent_for(actor, o)]
    item.co_owners = sorted([*kept, *joining], key=lambda o: o.name)
    joined = {o.id for o in item.co_owners}
    return [o for o in wanted.values() if o.id not in joined]


def _invite_co_owners(item: Item, to_ask: list[Organisation], actor: Actor) -> bool:
    """Keep one invitation per named organisation that has not joined; withdraw the rest; return
    whether any invitation was made or withdrawn.

    Invited editors and admins get a notice (the item's title is shown on their organisation's
    page, not in the notice, so a later hidden or restricted item leaves no trace in notices)."""
    asked = {o.id: o for o in to_ask}
    pending = {
        invitation.organisation_id: invitation
        for invitation in db.session.scalars(
            select(CoOwnerInvitation).where(CoOwnerInvitation.item_id == item.id)
        )
    }
    changed = False
    for organisation_id, invitation in pending.items():
        if organisation_id not in asked:
            db.session.delete(invitation)
            changed = True
    for organisation in asked.values():
        if organisation.id in pending:
            continue
        changed = True
        db.session.add(
            CoOwnerInvitation(
                item_id=item.id,
                organisation_id=organisation.id,
                invited_by_id=actor.id if isinstance(actor, User) else None,
            )
        )
        co_owner_invited.send(item, organisation=organisation, actor=actor)
    db.session.flush()
    db.session.expire(item, ["invited_co_owners"])
    return changed


@authorized_by(can_accept_co_ownership)
def accept_co_ownership(invitation: CoOwnerInvitation, *, actor: Actor) -> Item:
    """The invited organisation joins the item's co-owners (a revision records it)."""
    item = invitation.item
    if item.hidden_at is not None:
        raise ServiceError(_("Dit item bestaat niet."), status=404)
    if invitation.organisation_id not in {o.id for o in item.co_owners}:
        item.co_owners = sorted([*item.co_owners, invitation.organisation], key=lambda o: o.name)
        record_revision(item, actor)
    db.session.delete(invitation)
    db.session.flush()
    db.session.expire(item, ["invited_co_owners"])
    return item


@authorized_by(can_accept_co_ownership)
def decline_co_ownership(invitation: CoOwnerInvitation, *, actor: Actor) -> None:
    """Say no: the invitation goes, the item stays as it is."""
    item = invitation.item
    db.session.delete(invitation)
    db.session.flush()
    db.session.expire(item, ["invited_co_owners"])


def _apply_shared(item: Item, data: ItemData, actor: Actor) -> list[Organisation]:
    """Validate and set the fields every kind shares; return the co-owners still to invite."""
    item.title = clean_text(
        data.title, limit=200, field="title", label=_("de titel"), required=True, single_line=True
    )
    item.summary = clean_text(data.summary, limit=600, field="summary", label=_("de samenvatting"))
    item.body_md = clean_text(data.body, limit=20000, field="body", label=_("de tekst"))
    item.body_html = render_markdown(item.body_md)
    item.themes = _terms(Theme, data.themes, "themes", _("thema"))
    item.product_groups = _terms(
        ProductGroup, data.product_groups, "product_groups", _("productgroep")
    )
    item.tags = _tags(data.tags)
    if data.year in (None, ""):
        item.year = None
    else:
        try:
            year = int(data.year)
        except (TypeError, ValueError) as error:
            raise ServiceError(_("Het jaar moet een jaartal zijn."), field="year") from error
        if not 1990 <= year <= utcnow().year + 2:
            raise ServiceError(
                _("Vul een jaar in tussen 1990 en %(y)d.", y=utcnow().year + 2), field="year"
            )
        item.year = year
    if data.status not in STATUSES:
        raise ServiceError(_("Kies een geldige status."), field="status")
    if data.visibility not in VISIBILITIES:
        raise ServiceError(_("Kies wie het item mag zien."), field="visibility")
    if data.visibility == "group" or (data.group and item.keeps_group):
        # Looked up before visibility is set: the lookup's autoflush must not write a group
        # visibility without its group (ck_items_group_needed).
        group = by_slug(WorkingGroup, data.group)
        if group is None:
            raise ServiceError(_("Kies de werkgroep die het item mag zien."), field="group")
        kept = item.group_id == group.id  # an editor outside the group may leave it as it is
        if not (kept or is_group_member(actor, group) or can_moderate(actor)):
            raise ServiceError(
                _("U kunt alleen delen met een werkgroep waar u lid van bent."),
                field="group",
                status=403,
            )
        item.group = group
    else:
        item.group = None
    item.visibility = data.visibility
    if item.status != data.status:
        _refuse_publishing_hidden(item, data.status)
        item.status = data.status
        if data.status == "published" and item.published_at is None:
            item.published_at = utcnow()
    to_invite = _set_co_owners(item, data.co_owners, actor)
    item.reviewed_at = iso_date(
        {"reviewed_at": data.reviewed_at}, "reviewed_at", _("de reviewdatum")
    )
    if data.external_id is not None:
        external = clean_text(
            data.external_id, limit=100, field="external_id", label=_("de externe id")
        )
        if external:  # empty keeps the id the item has (or gets when it is made)
            item.external_id = external
    item.updated_at = utcnow()
    return to_invite


def snapshot(item: Item) -> dict[str, Any]:
    """Everything a reader sees of the item, as plain values (for revisions and export)."""
    return {
        "title": item.title,
        "summary": item.summary,
        "body": item.body_md,
        "themes": [t.slug for t in item.themes],
        "product_groups": [g.slug for g in item.product_groups],
        "tags": [t.name for t in item.tags],
        "year": item.year,
        "status": item.status,
        "visibility": item.visibility,
        "group": item.group.slug if item.group else None,
        "co_owners": sorted(o.name for o in item.co_owners),
        "reviewed_at": item.reviewed_at.isoformat() if item.reviewed_at else None,
        "fields": item.kind_fields(),
    }


def record_revision(item: Item, actor: Actor) -> None:
    # The stored numbers count, not only the loaded list: it may predate a simultaneous save.
    with db.session.no_autoflush:
        stored = (
            db.session.scalar(
                select(Revision.number)
                .where(Revision.item_id == item.id)
                .order_by(Revision.number.desc())
                .limit(1)
            )
            if item.id is not None
            else None
        )
    number = max([stored or 0, *(r.number or 0 for r in item.revisions)]) + 1
    editor = actor if isinstance(actor, User) else None
    item.revisions.append(
        Revision(
            number=number,
            editor_id=editor.id if editor else None,
            editor_name=editor.name if editor else _("Import"),
            snapshot=snapshot(item),
        )
    )


def _slug_taken(slug: str, item_id: int | None) -> bool:
    """Whether another item has slug, now or as an earlier slug that still redirects to it."""
    live = select(Item.id).where(Item.slug == slug)
    earlier = select(SlugRedirect.item_id).where(SlugRedirect.old_slug == slug)
    if item_id is not None:
        live = live.where(Item.id != item_id)
        earlier = earlier.where(SlugRedirect.item_id != item_id)
    return db.session.scalar(live) is not None or db.session.scalar(earlier) is not None


def _unique_slug(title: str, item_id: int | None = None) -> str:
    base = slugify(title, 100)
    slug, n = base, 2
    while _slug_taken(slug, item_id):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _wished_slug(slug: str | None) -> str | None:
    if slug and len(slug) <= 120 and SLUG_RE.match(slug) and not _slug_taken(slug, None):
        return slug
    return None


def _follow_title(item: Item, old_title: str) -> None:
    """After a title edit, give the item a slug from its new title; the old one redirects."""
    base = slugify(item.title, 100)
    if item.title == old_title or item.slug == base:
        return
    if re.fullmatch(rf"{re.escape(base)}-[0-9]+", item.slug) and _slug_taken(base, item.id):
        return  # already this title's slug, numbered because the plain one is taken
    old_slug = item.slug
    item.slug = _unique_slug(item.title, item.id)
    # Back to an earlier slug: it is the item's own again, no longer a redirect.
    db.session.execute(delete(SlugRedirect).where(SlugRedirect.old_slug == item.slug))
    db.session.add(SlugRedirect(old_slug=old_slug, item_id=item.id))


def _external_id_taken(external_id: str) -> bool:
    return db.session.scalar(select(Item.id).where(Item.external_id == external_id)) is not None


def _insert_item(item: Item, attempts: int = 5, *, renew_external_id: bool = False) -> None:
    """Insert a new item; when a simultaneous create took its slug meanwhile, take the next one.

    Both requests found the slug free; the second meets the unique key inside a SAVEPOINT, which
    undoes only this insert (the item and its revision become transient again), and retries.
    renew_external_id: the external id came from a form token, so when another item took it
    meanwhile the item gets a fresh one (an external id given by an import is not ours to change).
    """
    for attempt in range(attempts):
        try:
            with db.session.begin_nested():
                db.session.add(item)
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise  # a storm of equal titles: not ours to mend
            if renew_external_id and _external_id_taken(item.external_id):
                item.external_id = new_external_id()
            elif _slug_taken(item.slug, None):
                item.slug = _unique_slug(item.title)
            else:
                raise  # another constraint


@authorized_by(can_create_item)
def create_item(
    organisation: Organisation, spec: KindSpec, data: ItemData, *, actor: Actor
) -> Item:
    """Create an item of spec's kind for organisation, with its first revision."""
    return create_item_once(organisation, spec, data, actor=actor)[0]


def _item_named(external_id: str) -> Item | None:
    return db.session.scalar(select(Item).where(Item.external_id == external_id))


def _form_token(data: ItemData, actor: Actor) -> str | None:
    """The create form's token, when it can name the new item (an import names its own)."""
    token = data.form_token or ""
    if data.external_id or not isinstance(actor, User) or not FORM_TOKEN_RE.fullmatch(token):
        return None
    return token


def _made_by_same_submit(earlier: Item, item: Item, actor: Actor) -> bool:
    """Whether earlier, the item made by the form token's first submit, is what the second
    submit (the unsaved item) would make: same author, kind, organisation and values."""
    if (
        earlier.author_id != actor.id
        or earlier.kind != item.kind
        or earlier.organisation_id != item.organisation_id
        or not can_view_item(actor, earlier)
    ):
        return False  # someone else's token, or an item gone from view: not to be disclosed
    first = db.session.scalar(
        select(Revision.snapshot).where(Revision.item_id == earlier.id).order_by(Revision.number)
    )
    # As stored in the JSON column, so tuples and lists compare equal.
    return first == json.loads(json.dumps(snapshot(item)))


@authorized_by(can_create_item)
def create_item_once(
    organisation: Organisation, spec: KindSpec, data: ItemData, *, actor: Actor
) -> tuple[Item, bool]:
    """Create an item like create_item, unless this create form (data.form_token) made it
    already; return the item and whether it is new.

    A double click sends one rendered form twice: the second submit waits for the first (a lock
    on the actor's row), then finds the item that the token named and answers with it. The
    token is passed over (a fresh external id) when its item is someone else's, another kind or
    organisation, no longer visible, or was made from other values (the form was changed and
    sent again: that is a new item)."""
    if len(data.attachments) > MAX_NEW_ATTACHMENTS:
        raise ServiceError(
            _("Voeg hoogstens %(n)d bijlagen tegelijk toe.", n=MAX_NEW_ATTACHMENTS),
            field="attachments",
        )
    token = _form_token(data, actor)
    if token is not None:
        lock_row(User.__table__.c.name, actor.id)
    item = spec.model(organisation=organisation, author=actor if isinstance(actor, User) else None)
    item.organisation_id = organisation.id
    to_invite = _apply_shared(item, data, actor)
    spec.apply_fields(item, data.fields)
    if token is not None:
        earlier = _item_named(f"mvi-{token}")
        if earlier is None:
            item.external_id = f"mvi-{token}"
        elif _made_by_same_submit(earlier, item, actor):
            return earlier, False
    item.slug = _wished_slug(data.slug) or _unique_slug(item.title)
    record_revision(item, actor)
    _insert_item(item, renew_external_id=token is not None)
    for name, content in data.attachments:
        try:
            add_attachment(item, name, content, actor=actor)
        except ServiceError as error:  # the view rolls back: neither the item nor a file stays
            raise ServiceError(error.message, field="attachments", status=error.status) from None
    _invite_co_owners(item, to_invite, actor)
    _published(item, actor)
    return item, True


def _revised(item: Item, actor: Actor, was_published: bool) -> None:
    """Tell the item's followers about a new version of an item they could already read."""
    if was_published and item.hidden_at is None and item.revisions:
        item_revised.send(item, number=item.revisions[-1].number, actor=actor)


def _published(item: Item, actor: Actor, was_published: bool = False) -> None:
    """Tell followers when an item becomes published (not on every later edit)."""
    if item.status == "published" and not was_published and item.hidden_at is None:
        item_published.send(item, actor=actor)


@authorized_by(can_edit_item)
def update_item(item: Item, data: ItemData, *, actor: Actor) -> bool:
    """Save an edit and keep it as a revision; a new title brings a new slug, the old redirects.

    Returns whether anything a reader sees changed: an unchanged save keeps no revision and
    leaves updated_at as it was. It compares with the item as stored, read after locking its
    row: a simultaneous save of the same form (a double click) finds its twin saved, unchanged.
    """
    _lock_item(item)
    was_published = item.status == "published"
    old_title = item.title
    before, updated_at = snapshot(item), item.updated_at
    to_invite = _apply_shared(item, data, actor)
    kind_of(item).apply_fields(item, data.fields)
    changed = snapshot(item) != before
    _follow_title(item, old_title)
    if changed:
        record_revision(item, actor)
    else:
        item.updated_at = updated_at
    db.session.flush()
    invited = _invite_co_owners(item, to_invite, actor)
    _published(item, actor, was_published)
    if changed:
        _revised(item, actor, was_published)
    return changed or invited


@authorized_by(can_edit_item)
def set_status(item: Item, status: str, *, actor: Actor) -> None:
    """Publish, archive or return an item to draft."""
    if status not in STATUSES:
        raise ServiceError(_("Kies een geldige status."), field="status")
    _lock_item(item)  # a simultaneous click on the same button finds the status already set
    was_published = item.status == "published"
    if status == item.status:
        return  # a second click: nothing changes, no revision
    _refuse_publishing_hidden(item, status)
    item.status = status
    if status == "published" and item.published_at is None:
        item.published_at = utcnow()
    item.updated_at = utcnow()
    record_revision(item, actor)
    db.session.flush()
    _published(item, actor, was_published)
    _revised(item, actor, was_published)


@authorized_by(can_link_items)
def link_items(item: Item, other: Item, *, actor: Actor) -> ItemLink:
    """Link the item on whose page the actor is with other, in the direction their kinds imply:
    a criterion is 'used_in' a tender and a consultation 'preceded' one, whichever page the link
    is made from; a lesson is 'about' anything; a plan is 'carried_out_by' tenders, criteria
    and lessons."""
    if other.id == item.id:
        raise ServiceError(_("Een item kan niet naar zichzelf verwijzen."), field="target")
    source, target, relation = _link_direction(item, other)
    existing = db.session.scalar(
        select(ItemLink.id).where(
            ((ItemLink.source_id == item.id) & (ItemLink.target_id == other.id))
            | ((ItemLink.source_id == other.id) & (ItemLink.target_id == item.id))
        )
    )
    if existing is not None:
        raise ServiceError(_("Deze koppeling bestaat al."), field="target", status=409)
    link = ItemLink(source_id=source.id, target_id=target.id, relation=relation)
    try:  # a simultaneous click meets the unique key: refused as a second click is, not a 500
        with db.session.begin_nested():
            db.session.add(link)
    except IntegrityError:
        raise ServiceError(_("Deze koppeling bestaat al."), field="target", status=409) from None
    db.session.expire(source, ["outgoing_links"])
    db.session.expire(target, ["incoming_links"])
    item_linked.send(link, actor=actor)
    return link


def _link_direction(item: Item, other: Item) -> tuple[Item, Item, str]:
    """(source, target, relation) of a link between item and other, or a refusal."""
    relation = kind_of(item).relation_to(kind_of(other))
    if relation is not None:
        return item, other, relation
    relation = kind_of(other).relation_to(kind_of(item))
    if relation is not None:
        return other, item, relation
    raise ServiceError(_("Dit soort items kan niet aan elkaar worden gekoppeld."), field="target")


@authorized_by(can_edit_item)
def unlink_items(item: Item, link: ItemLink, *, actor: Actor) -> None:
    """Remove a link from either of its items' pages."""
    if item.id not in (link.source_id, link.target_id):
        raise ServiceError(_("Deze koppeling hoort niet bij dit item."), status=404)
    db.session.delete(link)
    db.session.flush()


@authorized_by(can_edit_item)
def add_attachment(item: Item, filename: str, data: bytes, *, actor: Actor) -> Attachment:
    """Check the file by its content, store it under a random name and keep its text for search."""
    checked = files.check_upload(
        filename, data, max_bytes=current_app.config["MAX_ATTACHMENT_BYTES"]
    )
    text, readable = files.extract_text(checked.kind, data)
    stored_name = files.random_storage_name()
    store = file_store()
    try:
        store.put(stored_name, data)
    except StorageError:
        log.exception("Bijlage niet opgeslagen in %s", store.location)
        raise ServiceError(
            _("Het bestand kon nu niet worden opgeslagen. Probeer het later opnieuw."),
            field="file",
            status=503,
        ) from None
    attachment = Attachment(
        item=item,
        original_name=checked.original_name,
        stored_name=stored_name,
        file_kind=checked.kind,
        content_type=checked.content_type,
        size=checked.size,
        text=text,
        text_readable=readable,
    )
    db.session.add(attachment)
    # A rolled-back transaction must not leave an orphan file behind.
    on_rollback(lambda: _delete_file(store, stored_name))  # no file without its row
    db.session.flush()
    return attachment


@authorized_by(can_edit_item)
def remove_attachment(item: Item, attachment: Attachment, *, actor: Actor) -> None:
    if attachment.item_id != item.id:
        raise ServiceError(_("Deze bijlage hoort niet bij dit item."), status=404)
    store, stored_name = file_store(), attachment.stored_name
    db.session.delete(attachment)
    db.session.flush()
    on_commit(lambda: _delete_file(store, stored_name))


def _delete_file(store: FileStore, stored_name: str) -> None:
    """Delete a file after commit or rollback; when the store fails, the file is left as an
    orphan for `flask files check --fix` (the transaction's outcome stands either way)."""
    try:
        store.delete(stored_name)
    except StorageError:
        log.exception("Bestand %s niet verwijderd uit %s", stored_name, store.location)


def open_attachment(attachment: Attachment) -> OpenedFile:
    """Open the attachment's file for download; FileNotFoundError when it is lost."""
    return file_store().open(attachment.stored_name)


def _add_mark(model: type[Bookmark | UsefulMark], item: Item, actor: Actor) -> bool:
    """Insert actor's mark on item; False when a simultaneous click (a double click, another tab)
    stored it first: that click's row meets the primary key inside a SAVEPOINT, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(model(user_id=actor.id, item_id=item.id))
    except IntegrityError:
        return False
    return True


def _remove_mark(model: type[Bookmark | UsefulMark], item: Item, actor: Actor) -> bool:
    """Delete actor's mark on item; False when a simultaneous click removed it first."""
    removed = db.session.execute(
        delete(model).where(model.user_id == actor.id, model.item_id == item.id)
    )
    return bool(removed.rowcount)


def _has_mark(model: type[Bookmark | UsefulMark], item: Item, actor: Actor) -> bool:
    """Whether actor's mark is stored (asked of the database: the session may hold an old one)."""
    found = select(model.item_id).where(model.user_id == actor.id, model.item_id == item.id)
    return db.session.scalar(found) is not None


@authorized_by(can_mark_item)
def set_bookmark(item: Item, kept: bool, *, actor: Actor) -> bool:
    """Keep the item for later (kept) or stop keeping it; already so, nothing changes.

    The button says which of the two it wants, so a double click cannot undo itself."""
    if kept and not _has_mark(Bookmark, item, actor):
        _add_mark(Bookmark, item, actor)
    elif not kept:
        _remove_mark(Bookmark, item, actor)
    db.session.flush()
    return kept


@authorized_by(can_mark_item)
def toggle_bookmark(item: Item, *, actor: Actor) -> bool:
    """Keep the item for later, or stop keeping it; return whether it is kept now.

    For a button that does not say which (a page from before set_bookmark)."""
    return set_bookmark(item, not _has_mark(Bookmark, item, actor), actor=actor)


@authorized_by(can_mark_item)
def set_useful(item: Item, marked: bool, *, actor: Actor) -> bool:
    """Mark the item 'nuttig' (once per member), or take the mark back; already so, nothing
    changes. Returns marked."""
    # Counted only for a row this request really added or removed, and in SQL, so simultaneous
    # clicks never count twice.
    if marked:
        changed = not _has_mark(UsefulMark, item, actor) and _add_mark(UsefulMark, item, actor)
    else:
        changed = _remove_mark(UsefulMark, item, actor)
    if changed:
        delta = 1 if marked else -1
        db.session.execute(
            update(Item).where(Item.id == item.id).values(useful_count=Item.useful_count + delta)
        )
    db.session.flush()
    db.session.refresh(item)
    return marked


@authorized_by(can_mark_item)
def toggle_useful(item: Item, *, actor: Actor) -> bool:
    """Mark the item 'nuttig', or take the mark back; return whether it is marked now.

    For a button that does not say which (a page from before set_useful)."""
    return set_useful(item, not _has_mark(UsefulMark, item, actor), actor=actor)


@authorized_by(can_mark_item)
def report_item(item: Item, reason: str, *, actor: Actor) -> Report:
    reason = clean_text(reason, limit=2000, field="reason", label=_("de reden"), required=True)
    report = Report(item=item, reporter_id=actor.id, reason=reason)
    db.session.add(report)
    db.session.flush()
    for moderator in db.session.scalars(select(User).where(User.is_moderator)):
        mail_to(
            moderator,
            lambda: (
                _("Melding over '%(title)s'", title=item.title),
                _("%(name)s meldt: %(reason)s", name=actor.name, reason=reason),
            ),
        )
    return report


@authorized_by(can_view_item)
def record_view(item: Item, *, actor: Actor) -> None:
    """Count a view (written in a batch, see counting.py); nothing about the viewer is stored."""
    counting.count_view(item.id)
