"""Pages shared by every knowledge kind: list, detail, create, edit, revisions, links, files, marks."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.routing import BaseConverter

from portal import permissions
from portal.accounts.forms import ConfirmForm
from portal.accounts.models import User
from portal.common import utcnow
from portal.content import counting, services
from portal.content.export_columns import columns_for, loader_options
from portal.content.feeds import public_feed
from portal.content.forms import (
    SHARED_FIELDS,
    AttachmentForm,
    LinkForm,
    RepeatingRows,
    ReportForm,
    TermSelectField,
    active_terms,
    offered_terms,
)
from portal.content.history import version_history, visible_revisions
from portal.content.kinds import KindSpec, by_url, kinds, linkable_kinds
from portal.content.linked_data import alternates, item_linked_data
from portal.content.models import (
    Attachment,
    Bookmark,
    CoOwnerInvitation,
    Item,
    ItemLink,
    SlugRedirect,
    Tag,
    UsefulMark,
    item_tags,
)
from portal.content.queries import (
    BadListError,
    dossier,
    knowledge_overview,
    list_query,
    published_items,
    visible_to,
)
from portal.errors import render_error
from portal.exports import dated_name, export_response
from portal.extensions import db
from portal.forms import button_action, choices, handle_form, run_action
from portal.groups.models import GroupMembership, WorkingGroup
from portal.lookups import by_slug, by_slugs
from portal.organisations.models import Organisation
from portal.pagecache import cache_pages, on_hit
from portal.pagination import paginate
from portal.regions.models import Region
from portal.sections import add_section, sections_for
from portal.taxonomy.models import OrganisationType, ProductGroup, Theme

bp = Blueprint("content", __name__)
cache_pages(bp)  # anonymous visitors' pages: portal/pagecache.py
bp.add_app_template_global(lambda key: kinds()[key], "kind_spec")

log = logging.getLogger(__name__)


class KindConverter(BaseConverter):
    """/aanbestedingen/... -> the tender KindSpec; unknown segments do not match (404)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, *args, **kwargs)
        # The registry's URL segments: a new kind needs no edit here.
        self.regex = "|".join(re.escape(spec.url) for spec in kinds().values())

    def to_python(self, value: str) -> KindSpec:
        spec = by_url(value)
        if spec is None:
            abort(404)
        return spec

    def to_url(self, value) -> str:
        return value.url if isinstance(value, KindSpec) else kinds()[value].url


def follow_renamed(model: type[Item], slug: str) -> None:
    """Answer an earlier slug of a visible item with a permanent redirect to the same page."""
    item = db.session.scalar(
        select(model)
        .join(SlugRedirect, SlugRedirect.item_id == model.id)
        .where(SlugRedirect.old_slug == slug)
    )
    if item is None or not permissions.can_view_item(current_user, item):
        return
    target = url_for(request.endpoint, **{**request.view_args, "slug": item.slug})
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    # 308 keeps the method and body of a form post; 301 for every plain link.
    abort(redirect(target, 301 if request.method in ("GET", "HEAD") else 308))


def load_visible(spec: KindSpec, slug: str) -> Item:
    """The item, or 404 also when the visitor may not see it (its existence must not leak)."""
    item = db.session.scalar(select(spec.model).where(spec.model.slug == slug))
    if item is None:
        follow_renamed(spec.model, slug)
    if item is None or not permissions.can_view_item(current_user, item):
        abort(404)
    return item


@bp.route("/kennis")
def overview():
    """The knowledge kinds side by side: what each holds, how many, and the newest."""
    return render_template(
        "content/overview.html",
        kinds=knowledge_overview(current_user),
        sections=sections_for("content.overview", user=current_user),
    )


@bp.route("/<kind:spec>/")
def index(spec: KindSpec):
    query, sort = list_query(spec, request.args, current_user)
    args = request.args
    page = paginate(query, per_page=20)
    years = db.session.scalars(
        select(Item.year)
        .where(Item.kind == spec.key, Item.year.is_not(None), *visible_to(current_user))
        .distinct()
        .order_by(Item.year.desc())
    ).all()
    return render_template(
        "content/index.html", spec=spec, page=page, args=args, sort=sort, years=years,
        themes=active_terms(Theme), product_groups=active_terms(ProductGroup),
        org_types=active_terms(OrganisationType),
        regions=db.session.scalars(select(Region).order_by(Region.name)).all(),
    )  # fmt: skip


# A download holds at most this many items (the newest, or first in the chosen order).
EXPORT_LIMIT = 10_000


@bp.route("/<kind:spec>.<any(csv, xlsx):file_format>")
def export(spec: KindSpec, file_format: str):
    """The list page's items (its filters and order, every page) as CSV or XLSX."""
    try:
        query, _sort = list_query(spec, request.args, current_user, strict=True)
    except BadListError as error:
        return render_error(400, str(error))
    items = db.session.scalars(query.options(*loader_options(spec)).limit(EXPORT_LIMIT)).all()
    return export_response(
        file_format, items, columns_for(spec), dated_name(spec.url), title=str(spec.plural)
    )


def _links(item: Item) -> tuple[list[ItemLink], list[ItemLink]]:
    """Links both ways, leaving out items the visitor may not see (and hidden ones)."""
    outgoing = [
        link for link in item.outgoing_links if permissions.can_list_item(current_user, link.target)
    ]
    incoming = [
        link for link in item.incoming_links if permissions.can_list_item(current_user, link.source)
    ]
    return outgoing, incoming


@bp.route("/<kind:spec>/<slug>")
def show(spec: KindSpec, slug: str):
    item = load_visible(spec, slug)
    services.record_view(item, actor=current_user)
    on_hit(counting.count_view, item.id)  # a kept page counts its view too
    return render_item(spec, item)


LINK_SEARCH_RESULTS = 10


def _link_candidates(spec: KindSpec, item: Item) -> list[Item] | None:
    """For an editor who searched (?koppel=words): listed items of a kind this item may be linked
    with whose title holds the words, other organisations' included; None when not searched."""
    words = " ".join(request.args.get("koppel", "").split())[:100]
    if not words or not permissions.can_edit_item(current_user, item):
        return None
    linkable = [other.key for other in linkable_kinds(spec)]
    return list(
        db.session.scalars(
            select(Item)
            .where(
                Item.kind.in_(linkable),
                Item.id != item.id,
                func.lower(Item.title).contains(words.lower(), autoescape=True),
                *visible_to(current_user),
            )
            .order_by(Item.published_at.desc(), Item.id.desc())
            .limit(LINK_SEARCH_RESULTS)
        )
    )


def render_item(spec: KindSpec, item: Item, link_form: LinkForm | None = None) -> str:
    """The item's page (without counting a view: also the answer to a refused form on it)."""
    outgoing, incoming = _links(item)
    marks = {}
    if permissions.is_verified_member(current_user):
        marks = {
            "bookmarked": db.session.get(Bookmark, (current_user.id, item.id)) is not None,
            "useful": db.session.get(UsefulMark, (current_user.id, item.id)) is not None,
        }
    max_age = timedelta(days=30 * current_app.config["OUTDATED_AFTER_MONTHS"])
    reference = item.reviewed_at or (item.published_at.date() if item.published_at else None)
    outdated = reference is not None and reference < (utcnow() - max_age).date()
    return render_template(
        "content/show.html", spec=spec, item=item, outgoing=outgoing, incoming=incoming, marks=marks,
        outdated=outdated, confirm_form=ConfirmForm(), attachment_form=AttachmentForm(),
        link_form=link_form or LinkForm(formdata=None), linkable=linkable_kinds(spec),
        link_candidates=_link_candidates(spec, item), link_words=request.args.get("koppel", "")[:100],
        versions=len(visible_revisions(item, current_user)),
        linked_data=item_linked_data(spec, item),
        alternates=alternates(item),
        **(spec.detail_context(item, current_user) if spec.detail_context else {}),
    )  # fmt: skip


def _prepare(form, spec: KindSpec, held_group: WorkingGroup | None = None) -> None:
    """Fill the form's choices; held_group (the item's own) stays offered to an editor outside
    it, so saving the form never drops it."""
    member_orgs = [
        m.organisation for m in getattr(current_user, "memberships", []) if m.is_approved
    ]
    if permissions.can_moderate(current_user):
        member_orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisation.choices = choices([(o.slug, o.name) for o in member_orgs])
    form.themes.choices = choices(offered_terms(Theme, form.themes.data))
    all_orgs = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.co_owners.choices = choices([(o.slug, o.name) for o in all_orgs])
    form.product_groups.choices = choices(offered_terms(ProductGroup, form.product_groups.data))
    groups = db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.name)).all()
    form.group.choices = choices(
        [("", _("— geen —"))]
        + [
            (g.slug, g.name)
            for g in groups
            if permissions.is_group_member(current_user, g)
            or permissions.can_moderate(current_user)
            or (held_group is not None and g.id == held_group.id)
        ]
    )
    _offer_terms(form)


def _offer_terms(form) -> None:
    """Every vocabulary choice of the form, also inside repeating rows, gets its terms."""
    for field in form:
        if isinstance(field, TermSelectField):
            field.choices = choices(
                [("", _("— kies —")), *offered_terms(field.vocabulary, field.data)]
            )
        elif isinstance(field, RepeatingRows):
            for row in field:
                _offer_terms(row.form)


def _tag_names() -> list[str]:
    """Existing tags, most used first, offered as suggestions (a datalist: no JavaScript needed)."""

    used = func.count(item_tags.c.item_id)
    query = (
        select(Tag.name).join(item_tags).group_by(Tag.id, Tag.name).order_by(used.desc(), Tag.name)
    )
    return list(db.session.scalars(query.limit(200)))


def _uploads(form) -> list[tuple[str, bytes]]:
    """The files chosen on a create form: (name, the first bytes up to one past the limit)."""
    limit = current_app.config["MAX_ATTACHMENT_BYTES"] + 1
    return [
        (upload.filename, upload.read(limit))
        for upload in form.attachments.data or []
        if getattr(upload, "filename", None)
    ]


def _data_from(form) -> services.ItemData:
    fields = {name: f.data for name, f in form._fields.items() if name not in SHARED_FIELDS}
    for name, value in list(fields.items()):
        if hasattr(value, "isoformat"):
            fields[name] = value.isoformat()
    return services.ItemData(
        title=form.title.data or "", summary=form.summary.data or "", body=form.body.data or "",
        themes=form.themes.data or [], product_groups=form.product_groups.data or [],
        tags=[t for t in (form.tags.data or "").split(",")], year=form.year.data,
        status=form.status.data, visibility=form.visibility.data, group=form.group.data or None,
        reviewed_at=form.reviewed_at.data, fields=fields,
        co_owners=by_slugs(Organisation, form.co_owners.data), form_token=form.form_token.data,
    )  # fmt: skip


def _fill(form, item: Item) -> None:
    """Put an item's current values into its edit form (GET)."""
    data = services.snapshot(item)
    form.title.data, form.summary.data, form.body.data = item.title, item.summary, item.body_md
    form.organisation.data = item.organisation.slug
    form.themes.data, form.product_groups.data = data["themes"], data["product_groups"]
    form.tags.data = ", ".join(data["tags"])
    form.year.data, form.status.data, form.visibility.data = item.year, item.status, item.visibility
    form.group.data = data["group"] or ""
    form.reviewed_at.data = item.reviewed_at
    form.co_owners.data = [o.slug for o in [*item.co_owners, *item.invited_co_owners]]
    for name, value in data["fields"].items():
        field = getattr(form, name, None)
        if field is None or name in SHARED_FIELDS:
            continue
        if isinstance(field, RepeatingRows):
            field.show(value)  # every stored row, then empty ones to add more
        elif isinstance(value, list):  # words kept as a list, typed with spaces between
            field.data = " ".join(value)
        elif field.type == "DateField" and value:
            from datetime import date

            field.data = date.fromisoformat(value)
        elif field.type == "DateTimeLocalField" and value:
            from datetime import datetime

            # Kinds give local times with their offset; the input shows the wall-clock time.
            field.data = datetime.fromisoformat(value).replace(tzinfo=None)
        else:
            field.data = value


def _repeating(form) -> list[RepeatingRows]:
    return [field for field in form if isinstance(field, RepeatingRows)]


def _add_row(form) -> int | None:
    """Answer a click on "Nog een ... toevoegen": one more empty row, nothing saved.

    Returns the status to re-render the form with, or None when the click was not that button.
    Works without JavaScript: the button is a submit button, and the form keeps what was typed."""
    if request.method != "POST" or "add_row" not in request.form:
        return None
    rows = next((r for r in _repeating(form) if r.name == request.form["add_row"]), None)
    if rows is None:
        return 400
    if rows.filled() >= rows.max_rows:
        rows.errors = [
            _(
                "Bij '%(group)s' passen hoogstens %(n)d rijen; maak eerst een rij leeg die weg mag.",
                n=rows.max_rows,
                group=rows.label.text,
            )
        ]
        return 400
    rows.append_entry()
    return 200


@bp.route("/<kind:spec>/nieuw", methods=["GET", "POST"])
@login_required
def create(spec: KindSpec):
    orgs = [m.organisation for m in current_user.memberships if m.is_approved]
    if not any(
        permissions.can_create_item(current_user, o) for o in orgs
    ) and not permissions.can_moderate(current_user):
        abort(403)
    form = spec.form()
    if request.method == "GET":
        for rows in _repeating(form):
            rows.show([])
    added = _add_row(form)
    _prepare(form, spec)
    if added is not None:
        return render_template(
            "content/edit.html", spec=spec, form=form, item=None, shared=SHARED_FIELDS
        ), added

    def save():
        organisation = by_slug(Organisation, form.organisation.data)
        if organisation is None or not permissions.can_create_item(current_user, organisation):
            abort(403)
        # A second submit of this form (its token) answers with the item the first one made.
        data = _data_from(form)
        data.attachments = _uploads(form)
        return services.create_item(organisation, spec, data, actor=current_user)

    outcome = handle_form(form, save)
    if outcome.done:
        flash(_("'%(title)s' is opgeslagen.", title=outcome.value.title), "success")
        return redirect(url_for("content.show", spec=spec, slug=outcome.value.slug))
    return render_template(
        "content/edit.html", spec=spec, form=form, item=None, shared=SHARED_FIELDS
    ), outcome.status


@bp.route("/<kind:spec>/<slug>/bewerken", methods=["GET", "POST"])
@login_required
def edit(spec: KindSpec, slug: str):
    item = load_visible(spec, slug)
    if not permissions.can_edit_item(current_user, item):
        abort(403)
    form = spec.form()
    if request.method == "GET":
        _fill(form, item)  # before _prepare: filling rebuilds the row sub-forms and their choices
    added = _add_row(form)
    _prepare(form, spec, held_group=item.group)
    form.organisation.choices = choices([(item.organisation.slug, item.organisation.name)])
    if added is not None:
        return render_template(
            "content/edit.html", spec=spec, form=form, item=item, shared=SHARED_FIELDS
        ), added
    versions = len(item.revisions)
    outcome = handle_form(
        form, lambda: services.update_item(item, _data_from(form), actor=current_user)
    )
    if outcome.done:
        if len(item.revisions) > versions:
            flash(
                _("De wijzigingen zijn opgeslagen als versie %(n)d.", n=len(item.revisions)),
                "success",
            )
        elif outcome.value:  # only who is asked to be co-owner changed: that is no new version
            flash(
                _(
                    "De uitnodigingen als mede-eigenaar zijn bijgewerkt; de uitgenodigde organisaties krijgen bericht. Het item zelf is niet gewijzigd."
                ),
                "success",
            )
        else:
            flash(_("U heeft niets gewijzigd; er is geen nieuwe versie opgeslagen."), "info")
        return redirect(url_for("content.show", spec=spec, slug=item.slug))
    return render_template(
        "content/edit.html", spec=spec, form=form, item=item, shared=SHARED_FIELDS
    ), outcome.status


@bp.route("/<kind:spec>/<slug>/versies")
def revisions(spec: KindSpec, slug: str):
    item = load_visible(spec, slug)
    if not permissions.can_view_revisions(current_user, item):
        abort(404)
    return render_template(
        "content/revisions.html", spec=spec, item=item,
        diffs=version_history(item, current_user),
    )  # fmt: skip


def _action(spec: KindSpec, slug: str, permission, action, success):
    item = load_visible(spec, slug)
    target = url_for("content.show", spec=spec, slug=slug)
    return button_action(permission(current_user, item), lambda: action(item), success, target)


@bp.route("/<kind:spec>/<slug>/status", methods=["POST"])
@login_required
def set_status(spec: KindSpec, slug: str):
    status = request.form.get("status", "")
    return _action(
        spec,
        slug,
        permissions.can_edit_item,
        lambda i: services.set_status(i, status, actor=current_user),
        _("De status is gewijzigd."),
    )


def wanted_on() -> bool | None:
    """The state an on/off button asks for (its hidden field `aan`: "1" or "0"); None for a
    button from a page made before it said so (it toggles)."""
    return {"1": True, "0": False}.get(request.form.get("aan", ""))


@bp.route("/<kind:spec>/<slug>/bewaren", methods=["POST"])
@login_required
def bookmark(spec: KindSpec, slug: str):
    wanted = wanted_on()
    return _action(
        spec,
        slug,
        permissions.can_mark_item,
        lambda i: (
            services.toggle_bookmark(i, actor=current_user)
            if wanted is None
            else services.set_bookmark(i, wanted, actor=current_user)
        ),
        _("Uw bewaarde items zijn bijgewerkt."),
    )


@bp.route("/<kind:spec>/<slug>/nuttig", methods=["POST"])
@login_required
def useful(spec: KindSpec, slug: str):
    wanted = wanted_on()
    return _action(
        spec,
        slug,
        permissions.can_mark_item,
        lambda i: (
            services.toggle_useful(i, actor=current_user)
            if wanted is None
            else services.set_useful(i, wanted, actor=current_user)
        ),
        lambda marked: (
            _("Bedankt voor uw waardering.") if marked else _("Uw waardering is ingetrokken."),
            "success",
        ),
    )


def _named_item(address: str) -> Item | None:
    """The item an address (/aanbestedingen/slug, a full URL) or a bare slug names."""
    slug = address.strip().split("#")[0].split("?")[0].rstrip("/").rpartition("/")[2]
    return db.session.scalar(select(Item).where(Item.slug == slug)) if slug else None


@bp.route("/<kind:spec>/<slug>/koppelen", methods=["POST"])
@login_required
def link(spec: KindSpec, slug: str):
    """Link this item with another, from either side: a tender's page links a criterion,
    consultation or lesson (also another organisation's), a criterion's page a tender."""
    item = load_visible(spec, slug)
    if not permissions.can_edit_item(current_user, item):
        abort(403)
    form = LinkForm()

    def refused(message: str, status: int):
        form.target.errors = [message]
        flash(message, "error")
        return render_item(spec, item, form), status

    if not form.validate_on_submit():
        return refused(_("Vul het adres van het item in."), 400)
    other = _named_item(form.target.data)
    if other is None or not permissions.can_view_item(current_user, other):
        # An item the editor may not see answers exactly as one that does not exist.
        return refused(_("Dit item bestaat niet."), 400)
    outcome = run_action(lambda: services.link_items(item, other, actor=current_user))
    if not outcome.done:
        return refused(outcome.value, outcome.status)
    flash(_("De koppeling is opgeslagen."), "success")
    return redirect(url_for("content.show", spec=spec, slug=item.slug) + "#koppelingen")


@bp.route("/<kind:spec>/<slug>/koppelingen/<int:link_id>/verwijderen", methods=["POST"])
@login_required
def unlink(spec: KindSpec, slug: str, link_id: int):
    link_row = db.session.get(ItemLink, link_id) or abort(404)
    return _action(
        spec,
        slug,
        permissions.can_edit_item,
        lambda i: services.unlink_items(i, link_row, actor=current_user),
        _("De koppeling is verwijderd."),
    )


@bp.route("/<kind:spec>/<slug>/bijlagen", methods=["POST"])
@login_required
def upload(spec: KindSpec, slug: str):
    item = load_visible(spec, slug)
    if not permissions.can_edit_item(current_user, item):
        abort(403)
    form = AttachmentForm()
    if not form.validate_on_submit():
        flash(_("Kies een bestand om te uploaden."), "error")
        return redirect(url_for("content.show", spec=spec, slug=slug)), 303
    upload_file = form.file.data
    data = upload_file.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1)
    outcome = run_action(
        lambda: services.add_attachment(item, upload_file.filename or "", data, actor=current_user)
    )
    if outcome.done:
        flash(
            _("De bijlage '%(name)s' is toegevoegd.", name=outcome.value.original_name), "success"
        )
        if not outcome.value.text_readable:
            flash(
                _(
                    "Let op: de tekst van deze bijlage is niet leesbaar (beveiligd, gescand of beschadigd)."
                ),
                "info",
            )
        return redirect(url_for("content.show", spec=spec, slug=slug))
    flash(outcome.value, "error")
    return redirect(url_for("content.show", spec=spec, slug=slug)), 303


@bp.route("/bijlagen/<int:attachment_id>/<path:name>")
def download(attachment_id: int, name: str):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not permissions.can_view_item(current_user, attachment.item):
        abort(404)
    try:
        opened = services.open_attachment(attachment)
    except FileNotFoundError:  # lost (`flask files check` reports it): say so, no 500
        log.error("Bijlage %d ontbreekt: %s", attachment.id, attachment.stored_name)
        return render_error(
            410, _("Dit bestand is niet meer beschikbaar. Meld het aan de eigenaar van het item.")
        )
    # Streamed from the store (a local file or an S3 object) with the headers a path would get.
    response = send_file(
        opened.stream, mimetype=attachment.content_type, as_attachment=True,
        download_name=attachment.original_name, max_age=0, conditional=False,
        last_modified=opened.modified_at, etag=opened.etag,
    )  # fmt: skip
    response.content_length = opened.size
    try:
        return response.make_conditional(request, accept_ranges=True, complete_length=opened.size)
    except RequestedRangeNotSatisfiable:
        response.close()
        raise


@bp.route("/<kind:spec>/<slug>/bijlagen/<int:attachment_id>/verwijderen", methods=["POST"])
@login_required
def remove_attachment(spec: KindSpec, slug: str, attachment_id: int):
    attachment = db.session.get(Attachment, attachment_id) or abort(404)
    return _action(
        spec,
        slug,
        permissions.can_edit_item,
        lambda i: services.remove_attachment(i, attachment, actor=current_user),
        _("De bijlage is verwijderd."),
    )


@bp.route("/<kind:spec>/<slug>/melden", methods=["GET", "POST"])
@login_required
def report(spec: KindSpec, slug: str):
    item = load_visible(spec, slug)
    if not permissions.can_mark_item(current_user, item):
        abort(403)
    form = ReportForm()
    outcome = handle_form(
        form, lambda: services.report_item(item, form.reason.data, actor=current_user)
    )
    if outcome.done:
        flash(_("Dank u. De moderatoren bekijken uw melding."), "success")
        return redirect(url_for("content.show", spec=spec, slug=slug))
    return render_template("content/report.html", spec=spec, item=item, form=form), outcome.status


# --- What content adds to the pages of themes, product groups and regions ----------------------


@add_section("taxonomy.theme", "content/_dossier_section.html")
def _theme_dossier(theme: Theme, user) -> dict:
    return {"dossier": dossier(user, theme=theme), "heading_id": "dossier"}


@add_section("taxonomy.product_group", "content/_dossier_section.html")
def _product_group_dossier(group: ProductGroup, user) -> dict:
    return {"dossier": dossier(user, product_group=group), "heading_id": "dossier"}


@bp.route("/themas/<slug>.atom")
def theme_feed(slug: str):
    """Public items on this theme, newest first."""
    theme = db.first_or_404(select(Theme).where(Theme.slug == slug))
    page_url = url_for("taxonomy.theme", slug=slug, _external=True)
    return public_feed(theme.label, Item.themes.any(Theme.id == theme.id), page_url)


@bp.route("/productgroepen/<slug>.atom")
def product_group_feed(slug: str):
    """Public items in this product group, newest first."""
    group = db.first_or_404(select(ProductGroup).where(ProductGroup.slug == slug))
    page_url = url_for("taxonomy.product_group", slug=slug, _external=True)
    return public_feed(group.label, Item.product_groups.any(ProductGroup.id == group.id), page_url)


@bp.route("/regios/<slug>.atom")
def region_feed(slug: str):
    """Public items of the region's organisations, newest first."""
    region = db.first_or_404(select(Region).where(Region.slug == slug))
    condition = Item.organisation.has(Organisation.regions.any(Region.id == region.id))
    return public_feed(region.name, condition, url_for("regions.show", slug=slug, _external=True))


@add_section("accounts.account", "content/_account_drafts.html", order=20)
def _account_drafts(user: User) -> dict:
    drafts = db.session.scalars(
        select(Item)
        .where(Item.author_id == user.id, Item.status == "draft")
        .order_by(Item.updated_at.desc())
    ).all()
    return {"drafts": drafts}


@add_section("accounts.account", "content/_account_bookmarks.html", order=30)
def _account_bookmarks(user: User) -> dict:
    """The items the member keeps that they may still see."""
    kept = db.session.scalars(
        select(Item)
        .join(Bookmark, Bookmark.item_id == Item.id)
        .where(Bookmark.user_id == user.id)
        .order_by(Bookmark.created_at.desc())
    ).all()
    return {"bookmarks": [i for i in kept if permissions.can_view_item(user, i)]}


# --- ... and to the pages of organisations and working groups ----------------------------------


@add_section("organisations.show", "content/_organisation_invitations.html", order=10)
def _organisation_invitations(organisation: Organisation, user: User) -> dict | None:
    """Items whose owners ask this organisation to co-own them, for its editors and admins."""
    if not permissions.may_consent_for(user, organisation):
        return None
    invitations = db.session.scalars(
        select(CoOwnerInvitation)
        .join(Item, Item.id == CoOwnerInvitation.item_id)
        .where(CoOwnerInvitation.organisation_id == organisation.id, Item.hidden_at.is_(None))
        .order_by(CoOwnerInvitation.created_at.desc())
    ).all()
    return {"organisation": organisation, "invitations": invitations} if invitations else None


@add_section("organisations.show", "content/_dossier_section.html", order=20)
def _organisation_dossier(organisation: Organisation, user: User) -> dict:
    return {"dossier": dossier(user, organisation=organisation), "heading_id": "kennis"}


def _co_ownership_action(slug: str, item_id: int, action, success: str):
    organisation = db.first_or_404(select(Organisation).where(Organisation.slug == slug))
    invitation = db.session.get(CoOwnerInvitation, (item_id, organisation.id)) or abort(404)
    return button_action(
        permissions.can_accept_co_ownership(current_user, invitation),
        lambda: action(invitation),
        success,
        url_for("organisations.show", slug=slug) + "#uitnodigingen",
    )


@bp.route("/organisaties/<slug>/uitnodigingen/<int:item_id>/accepteren", methods=["POST"])
@login_required
def accept_co_ownership(slug: str, item_id: int):
    return _co_ownership_action(
        slug,
        item_id,
        lambda invitation: services.accept_co_ownership(invitation, actor=current_user),
        _("Uw organisatie is nu mede-eigenaar van het item."),
    )


@bp.route("/organisaties/<slug>/uitnodigingen/<int:item_id>/afwijzen", methods=["POST"])
@login_required
def decline_co_ownership(slug: str, item_id: int):
    return _co_ownership_action(
        slug,
        item_id,
        lambda invitation: services.decline_co_ownership(invitation, actor=current_user),
        _("De uitnodiging is afgewezen."),
    )


@add_section("groups.show", "content/_group_section.html", order=20)
def _group_shared(group: WorkingGroup, user: User) -> dict:
    """The knowledge shared with the group (not its questions or meetings), as far as the
    reader may see."""
    knowledge = [spec.key for spec in kinds().values() if spec.knowledge]
    shared = db.session.scalars(
        published_items(user)
        .where(Item.group_id == group.id, Item.kind.in_(knowledge))
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(10)
    ).all()
    return {"group": group, "shared": shared}


@bp.route("/werkgroepen/<slug>.atom")
def group_feed(slug: str):
    """Public items placed in the group, newest first; for an open group also what its members
    share publicly. A closed group's members are not public, so its feed never follows them."""
    group = db.first_or_404(select(WorkingGroup).where(WorkingGroup.slug == slug))
    condition = Item.group_id == group.id
    if not group.is_closed:
        members = select(GroupMembership.user_id).where(
            GroupMembership.group_id == group.id, GroupMembership.status == "approved"
        )
        condition = or_(condition, Item.author_id.in_(members))
    return public_feed(group.name, condition, url_for("groups.show", slug=slug, _external=True))
