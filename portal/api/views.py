"""The REST API v1: load (404), check permission (403), call one service, commit once, answer
JSON; every error as problem details. A request acts as the member of its bearer token, or as an
anonymous visitor without one: the web session never authenticates here, so API writes need a
token and CSRF does not apply (a browser's cookies grant nothing)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from math import ceil
from typing import Any
from urllib.parse import urlencode

from flask import abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, current_user, login_required
from limits import parse
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal import errors, permissions
from portal.api import bp, openapi, services
from portal.api.forms import TokenForm
from portal.api.models import ApiToken
from portal.api.problems import Problem, render
from portal.common import ServiceError, whole_number
from portal.content import services as content
from portal.content.kinds import kinds
from portal.content.linked_data import Alternate, register_alternate
from portal.content.models import Attachment, Item, SlugRedirect
from portal.content.queries import BadListError, count_of, list_query
from portal.extensions import count_limit, csrf, db
from portal.forms import ConfirmForm, button_action, handle_form
from portal.lookups import by_slug, by_slugs
from portal.organisations.models import Organisation
from portal.questions import services as questions
from portal.questions.models import Answer
from portal.regions.models import Region
from portal.search.searching import BadSearchError, search_all
from portal.sections import add_section
from portal.taxonomy.models import ProductGroup, Theme

API = "/api/v1"
PER_PAGE, MAX_PER_PAGE, MAX_PAGE = 25, 100, 10_000
MAX_SEARCH_RESULTS = 2000
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Kinds whose items are made elsewhere than the shared create form (a question is asked).
ASKED_KINDS = frozenset({"question"})

errors.register_error_renderer(API + "/", render)
errors.register_error_renderer(API, render)
# Every item's page links its JSON here (rel="alternate"); content does not know the API.
register_alternate(
    Alternate(None, "application/json", _l("JSON (REST API)"),
              lambda item: url_for("api.item", slug=item.slug))
)  # fmt: skip


def api_route(rule: str, **options) -> Callable:
    """A route under /api/v1, without CSRF (the session authenticates nothing here)."""

    def register(view: Callable) -> Callable:
        csrf.exempt(view)
        return bp.route(API + rule, **options)(view)

    return register


# --- Authentication, rate limit, caching --------------------------------------------------


def _bearer() -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Problem(401, _("Geef het token mee als ‘Authorization: Bearer <token>’."),
                      headers={"WWW-Authenticate": 'Bearer error="invalid_request"'})  # fmt: skip
    return value.strip()


# For every route under /api/v1, also those other packages add on their own blueprints (e.g. an
# export's /api/v1/ocds/...): the same token, rate limit and ETag rules.
@bp.before_app_request
def authenticate() -> None:
    if not request.path.startswith(API + "/") or request.endpoint in (None, "api.docs"):
        return
    g._login_user = AnonymousUserMixin()  # never the session's member
    g.api_token = None
    plain = _bearer()
    token = services.token_for(plain) if plain is not None else None
    if plain is not None and (token is None or not token.is_active):
        _limit(f"ip:{request.remote_addr}")  # guessing tokens counts against the address
        raise Problem(401, _("Dit API-token is onbekend, ingetrokken of verlopen."),
                      headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})  # fmt: skip
    if token is None:
        _limit(f"ip:{request.remote_addr}")
    else:
        _limit(f"token:{token.id}")
        g._login_user, g.api_token = token.user, token
        if services.record_token_use(token, actor=token.user):
            db.session.commit()
    texts = [*request.args.keys(), *request.args.values(), *(request.view_args or {}).values()]
    if not all(_storable(t) for t in texts if isinstance(t, str)):
        raise Problem(400, _("Het adres bevat een teken dat niet is toegestaan (zoals %00)."))
    if request.method in WRITE_METHODS:
        if token is None:
            raise Problem(401, _("Schrijven via de API kan alleen met een persoonlijk API-token."),
                          headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        if not token.can_write:
            raise Problem(403, _("Dit token mag alleen lezen; maak een token met ‘lezen en schrijven’."))  # fmt: skip


def _limit(key: str) -> None:
    setting = "API_LIMIT_PER_TOKEN" if key.startswith("token:") else "API_LIMIT_PER_IP"
    if not count_limit(parse(current_app.config[setting]), "api", key, hit=True):
        raise Problem(429, _("Te veel verzoeken achter elkaar. Wacht een minuut en probeer het dan opnieuw."),
                      headers={"Retry-After": "60"})  # fmt: skip


@bp.after_app_request
def conditional(response: Response) -> Response:
    """ETag on every JSON read; If-None-Match with it answers 304 without a body."""
    if not request.path.startswith(API + "/") or request.endpoint in (None, "api.docs"):
        return response
    response.vary.add("Authorization")
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-cache"  # keep it, but ask again (ETag)
        response.add_etag()
        response.make_conditional(request)
    return response


# --- Reading arguments and bodies ---------------------------------------------------------


def _paging() -> tuple[int, int]:
    page = whole_number(request.args.get("page", "1"), 1, MAX_PAGE)
    per_page = whole_number(request.args.get("per_page", str(PER_PAGE)), 1, MAX_PER_PAGE)
    problems = {}
    if page is None:
        problems["page"] = [_("Het paginanummer moet een getal van 1 tot 10.000 zijn.")]
    if per_page is None:
        problems["per_page"] = [_("per_page moet een getal van 1 tot %(n)d zijn.", n=MAX_PER_PAGE)]
    if problems:
        raise Problem(400, next(iter(problems.values()))[0], errors=problems)
    return page, per_page  # type: ignore[return-value]


def _refuse_unknown_args(allowed: set[str]) -> None:
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        message = _("Onbekende parameter: %(names)s.", names=", ".join(n[:40] for n in unknown[:5]))
        raise Problem(400, message, errors={name[:40]: [message] for name in unknown[:5]})
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        message = _("Geef %(name)s maar één keer mee.", name=repeated[0])
        raise Problem(400, message, errors={repeated[0]: [message]})


def _page_links(page: int, per_page: int, total: int) -> dict[str, str]:
    last = max(1, ceil(total / per_page))
    args = {k: v for k, v in request.args.items() if k != "page"}

    def link(number: int) -> str:
        query = urlencode({**args, "page": number})
        return f"{request.base_url}?{query}"

    links = {"first": link(1), "last": link(last)}
    if page > 1:
        links["prev"] = link(min(page - 1, last))
    if page < last:
        links["next"] = link(page + 1)
    return links


def _listing(rows: list[dict], page: int, per_page: int, total: int) -> Response:
    links = _page_links(page, per_page, total)
    response = jsonify(items=rows, page=page, per_page=per_page, total=total,
                       pages=max(1, ceil(total / per_page)), links=links)  # fmt: skip
    response.headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())
    return response


def _json_body(allowed: dict[str, tuple[str, ...]], required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, with only allowed keys, each of one of its JSON types
    ("string", "integer", "array", "object", "null"); 413, 415, 400 or 422 otherwise."""
    if request.mimetype != "application/json":
        raise Problem(415, _("Stuur de gegevens als JSON (Content-Type: application/json)."))
    request.max_content_length = current_app.config["API_MAX_JSON_BYTES"]
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON reader goes
        data = None
    if data is None or not _plain_json(data):
        raise Problem(400, _("De inhoud van het verzoek is geen geldige JSON."))
    if not isinstance(data, dict):
        raise Problem(422, _("Stuur één JSON-object met velden."), errors={"body": [_("Verwacht een JSON-object.")]})  # fmt: skip
    problems: dict[str, list[str]] = {}
    for key, value in data.items():
        types = allowed.get(key)
        if types is None:
            problems[str(key)[:60]] = [_("Onbekend veld.")]
        elif not _of_type(value, types):
            problems[key] = [_("Verwacht: %(types)s.", types=f" {_('of')} ".join(_TYPE_NAMES[t]() for t in types))]  # fmt: skip
    for key in required:
        if key not in data and key not in problems:
            problems[key] = [_("Dit veld is verplicht.")]
    if problems:
        first = next(iter(problems))
        raise Problem(422, f"{first}: {problems[first][0]}", errors=problems)
    return data


MAX_JSON_DEPTH = 20


def _plain_json(data: Any) -> bool:
    """Whether data nests at most MAX_JSON_DEPTH deep and every text in it (keys too) can be
    stored: no NUL character (PostgreSQL refuses it) and no lone surrogate (not UTF-8)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return False
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            pending.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and not _storable(value):
            return False
    return True


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_TYPE_NAMES = {
    "string": lambda: _("tekst"),
    "integer": lambda: _("een geheel getal"),
    "array": lambda: _("een lijst met teksten"),
    "object": lambda: _("een JSON-object"),
    "null": lambda: "null",
}


def _of_type(value: Any, types: tuple[str, ...]) -> bool:
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "array": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "object": lambda v: isinstance(v, dict),
        "null": lambda v: v is None,
    }
    return any(checks[t](value) for t in types)


SHARED_INPUT = {
    "title": ("string",), "summary": ("string",), "body": ("string",),
    "themes": ("array",), "product_groups": ("array",), "tags": ("array",),
    "year": ("integer", "null"), "status": ("string",), "visibility": ("string",),
    "group": ("string", "null"), "co_owners": ("array",), "reviewed_at": ("string", "null"),
    "fields": ("object",),
}  # fmt: skip
CREATE_INPUT = {"kind": ("string",), "organisation": ("string",), **SHARED_INPUT}


def _run(action: Callable[[], Any]) -> Any:
    """Call one service and commit; a refusal rolls everything back and answers problem details
    (a service's 400 as 422: the JSON was read, its values are not valid)."""
    try:
        value = action()
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        status = 422 if error.status == 400 else error.status
        raise Problem(
            status, error.message, errors={error.field or "body": [error.message]}
        ) from None
    except BaseException:
        db.session.rollback()
        raise
    return value


def _organisations(slugs: list[str]) -> list[Organisation]:
    found = by_slugs(Organisation, slugs)
    missing = sorted(set(slugs) - {o.slug for o in found})
    if missing:
        message = _("Onbekende organisatie: %(slug)s.", slug=missing[0][:80])
        raise Problem(422, message, errors={"co_owners": [message]})
    return found


def _item_data(data: dict, current: dict | None = None) -> content.ItemData:
    """ItemData from a JSON body; for an update, what the body leaves out stays as it is."""
    base = current or {}
    merged = {**base, **data}
    fields = {**base.get("fields", {}), **data.get("fields", {})}
    return content.ItemData(
        title=merged.get("title", ""), summary=merged.get("summary", ""),
        body=merged.get("body", ""), themes=merged.get("themes", []),
        product_groups=merged.get("product_groups", []), tags=merged.get("tags", []),
        year=merged.get("year"), status=merged.get("status", "draft"),
        visibility=merged.get("visibility", "public"), group=merged.get("group"),
        co_owners=_organisations(merged.get("co_owners", [])),
        reviewed_at=merged.get("reviewed_at"), fields=fields,
    )  # fmt: skip


# --- What the API answers -----------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _org_ref(organisation: Organisation) -> dict:
    return {"slug": organisation.slug, "name": organisation.name,
            "url": url_for("api.organisation", slug=organisation.slug, _external=True)}  # fmt: skip


def item_summary(item: Item) -> dict:
    """An item as lists show it."""
    return {
        "slug": item.slug,
        "kind": item.kind,
        "external_id": item.external_id,
        "title": item.title,
        "summary": item.summary,
        "organisation": _org_ref(item.organisation),
        "co_owners": [_org_ref(o) for o in item.co_owners],
        "themes": [t.slug for t in item.themes],
        "product_groups": [p.slug for p in item.product_groups],
        "tags": [t.name for t in item.tags],
        "year": item.year,
        "status": item.status,
        "visibility": item.visibility,
        "published_at": _iso(item.published_at),
        "updated_at": _iso(item.updated_at),
        "url": url_for("api.item", slug=item.slug, _external=True),
        "web_url": url_for("content.show", spec=item.kind, slug=item.slug, _external=True),
    }


def _attachment(attachment: Attachment) -> dict:
    return {
        "id": attachment.id,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": _iso(attachment.created_at),
        "url": url_for("content.download", attachment_id=attachment.id,
                       name=attachment.original_name, _external=True),
    }  # fmt: skip


def _answer(answer: Answer) -> dict:
    return {
        "id": answer.id,
        "body": answer.body_md,
        "body_html": answer.body_html,
        "author": answer.author.name if answer.author else None,
        "organisation": answer.organisation.name if answer.organisation else None,
        "created_at": _iso(answer.created_at),
        "accepted": answer.accepted_at is not None,
        "verified": answer.verified_at is not None,
        "useful_count": answer.useful_count,
        "linked_items": [i.slug for i in answer.linked_items
                         if permissions.can_list_item(current_user, i)],
    }  # fmt: skip


def item_detail(item: Item) -> dict:
    """One item with its kind's own fields (tenders: MVI rows, bids, results), its attachments
    and, for a question, its answers."""
    detail = item_summary(item)
    fields = item.kind_fields()
    if fields.get("duplicate_of"):  # another question: named only when the reader may see it
        original = getattr(item, "duplicate_of", None)
        if original is None or not permissions.can_list_item(current_user, original):
            fields["duplicate_of"] = None
    detail.update(
        body=item.body_md, body_html=item.body_html, group=item.group.slug if item.group else None,
        reviewed_at=_iso(item.reviewed_at), fields=fields,
        attachments=[_attachment(a) for a in item.attachments],
    )  # fmt: skip
    if hasattr(item, "answers"):
        moderator = permissions.can_moderate(current_user)
        detail["answers"] = [_answer(a) for a in item.answers if a.hidden_at is None or moderator]
    return detail


def _term(term) -> dict:
    return {"slug": term.slug, "name": term.name, "name_en": term.name_en or None,
            "description": term.description, "active": term.is_active}  # fmt: skip


def organisation_json(organisation: Organisation) -> dict:
    return {
        **_org_ref(organisation),
        "type": organisation.type.slug,
        "size_class": organisation.size_class.slug if organisation.size_class else None,
        "website": organisation.website,
        "description": organisation.description,
        "regions": [r.slug for r in organisation.regions],
        "web_url": url_for("organisations.show", slug=organisation.slug, _external=True),
    }


# --- Items ----------------------------------------------------------------------------------

# What item_summary and organisation_json read, loaded per page in a few queries, not per row.
SUMMARY_LOAD = (
    selectinload(Item.organisation), selectinload(Item.co_owners), selectinload(Item.themes),
    selectinload(Item.product_groups), selectinload(Item.tags),
)  # fmt: skip
ORGANISATION_LOAD = (
    selectinload(Organisation.type), selectinload(Organisation.size_class),
    selectinload(Organisation.regions),
)  # fmt: skip

LIST_ARGS = {"kind", "q", "thema", "productgroep", "regio", "organisatie", "organisatietype",
             "jaar", "sorteer", "page", "per_page"}  # fmt: skip


def _all_kinds():
    """A kind spec for every kind at once: list_query's filters on the shared item columns."""
    first = next(iter(kinds().values()))
    return dataclasses.replace(first, key="*", model=Item, list_filters=(), list_order=None)


@api_route("/items")
def items():
    kind = request.args.get("kind")
    spec = kinds().get(kind) if kind else _all_kinds()
    if spec is None:
        message = _("Onbekende soort ‘%(kind)s’. Kies uit: %(choices)s.", kind=kind[:40], choices=", ".join(kinds()))  # fmt: skip
        raise Problem(400, message, errors={"kind": [message]})
    _refuse_unknown_args(LIST_ARGS | {f.arg for f in spec.list_filters})
    page, per_page = _paging()
    filters = {k: v for k, v in request.args.items()
               if k not in ("kind", "q", "organisatie", "page", "per_page")}  # fmt: skip
    try:
        query, _sort = list_query(spec, filters, current_user, strict=True)
    except BadListError as error:
        raise Problem(400, str(error)) from None
    if request.args.get("organisatie"):
        organisation = by_slug(Organisation, request.args["organisatie"])
        if organisation is None:
            message = _("Onbekende organisatie: %(slug)s.", slug=request.args["organisatie"][:80])
            raise Problem(400, message, errors={"organisatie": [message]})
        query = query.where(or_(Item.organisation_id == organisation.id,
                                Item.co_owners.any(Organisation.id == organisation.id)))  # fmt: skip
    start = (page - 1) * per_page
    words = request.args.get("q", "").strip()
    if words:
        ranked = _search(words)
        matching = set(db.session.scalars(
            query.with_only_columns(Item.id, maintain_column_froms=True).order_by(None)
            .where(Item.id.in_(ranked))
        ))  # fmt: skip
        ordered = [i for i in ranked if i in matching]
        if "sorteer" in request.args:  # the list's order asked for: keep it
            ordered = list(db.session.scalars(
                query.with_only_columns(Item.id, maintain_column_froms=True).where(Item.id.in_(matching))
            ))  # fmt: skip
        total, wanted = len(ordered), ordered[start : start + per_page]
        loaded = {i.id: i for i in db.session.scalars(
            select(Item).where(Item.id.in_(wanted)).options(*SUMMARY_LOAD))}  # fmt: skip
        found = [loaded[i] for i in wanted]
    else:
        total = count_of(query)
        found = list(db.session.scalars(query.limit(per_page).offset(start).options(*SUMMARY_LOAD)))
    return _listing([item_summary(i) for i in found], page, per_page, total)


def _search(words: str) -> list[int]:
    """The ids the search page finds for these words, for this reader, best first."""
    try:
        whole = search_all(MultiDict({"q": words[:200]}), current_user, most=MAX_SEARCH_RESULTS)
    except BadSearchError as error:
        raise Problem(400, str(error), errors={"q": [str(error)]}) from None
    if whole.unavailable:
        raise Problem(503, _("De zoekindex wordt opnieuw opgebouwd. Probeer het over een paar minuten opnieuw."),
                      headers={"Retry-After": "120"})  # fmt: skip
    return [item_id for item_id, _score in whole.ranked]


def _load(slug: str) -> Item:
    """The item, or 404 also when the reader may not see it (its existence must not leak); an
    earlier slug of a visible item redirects."""
    item = db.session.scalar(select(Item).where(Item.slug == slug))
    if item is None:
        renamed = db.session.scalar(
            select(Item).join(SlugRedirect, SlugRedirect.item_id == Item.id)
            .where(SlugRedirect.old_slug == slug)
        )  # fmt: skip
        if renamed is not None and permissions.can_view_item(current_user, renamed):
            target = url_for(request.endpoint, **{**request.view_args, "slug": renamed.slug})
            raise Problem(301 if request.method == "GET" else 308, _("Dit item heeft een nieuw adres."),
                          headers={"Location": target})  # fmt: skip
    if item is None or not permissions.can_view_item(current_user, item):
        raise Problem(404, _("Dit item bestaat niet of u mag het niet zien."))
    return item


@api_route("/items/<slug>")
def item(slug: str):
    _refuse_unknown_args(set())
    return jsonify(item_detail(_load(slug)))


@api_route("/items", methods=["POST"])
def create_item():
    data = _json_body(CREATE_INPUT, required=("kind", "organisation", "title"))
    spec = kinds().get(data["kind"])
    if spec is None:
        message = _("Onbekende soort ‘%(kind)s’. Kies uit: %(choices)s.", kind=data["kind"][:40], choices=", ".join(kinds()))  # fmt: skip
        raise Problem(422, message, errors={"kind": [message]})
    if spec.key in ASKED_KINDS:
        message = _("Een vraag stelt u met POST /api/v1/questions.")
        raise Problem(422, message, errors={"kind": [message]})
    organisation = by_slug(Organisation, data["organisation"])
    if organisation is None:
        message = _("Onbekende organisatie: %(slug)s.", slug=data["organisation"][:80])
        raise Problem(422, message, errors={"organisation": [message]})
    if not permissions.can_create_item(current_user, organisation):
        raise Problem(403, _("U mag geen items plaatsen voor deze organisatie."))
    item_data = _item_data({k: v for k, v in data.items() if k not in ("kind", "organisation")})
    made = _run(lambda: content.create_item(organisation, spec, item_data, actor=current_user))
    response = jsonify(item_detail(made))
    response.status_code = 201
    response.headers["Location"] = url_for("api.item", slug=made.slug, _external=True)
    return response


def _current_values(item: Item) -> dict:
    """The item as an update body, so what a PATCH leaves out is saved unchanged."""
    values = content.snapshot(item)
    values["co_owners"] = [o.slug for o in [*item.co_owners, *item.invited_co_owners]]
    return values


@api_route("/items/<slug>", methods=["PATCH"])
def update_item(slug: str):
    found = _load(slug)
    if not permissions.can_edit_item(current_user, found):
        raise Problem(403, _("U mag dit item niet bewerken."))
    data = _json_body(SHARED_INPUT)
    item_data = _item_data(data, _current_values(found))
    _run(lambda: content.update_item(found, item_data, actor=current_user))
    return jsonify(item_detail(found))


@api_route("/items/<slug>/attachments", methods=["POST"])
def add_attachment(slug: str):
    found = _load(slug)
    if not permissions.can_edit_item(current_user, found):
        raise Problem(403, _("U mag aan dit item geen bijlagen toevoegen."))
    if request.mimetype != "multipart/form-data":
        raise Problem(415, _("Stuur het bestand als multipart/form-data in het veld ‘file’."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        message = _("Kies een bestand om te uploaden.")
        raise Problem(422, message, errors={"file": [message]})
    data = upload.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1)
    attachment = _run(lambda: content.add_attachment(found, upload.filename or "", data, actor=current_user))  # fmt: skip
    response = jsonify(_attachment(attachment))
    response.status_code = 201
    response.headers["Location"] = response.json["url"]
    return response


@api_route("/items/<slug>/answers", methods=["POST"])
def answer_question(slug: str):
    question = _load(slug)
    if question.kind not in ASKED_KINDS:
        raise Problem(404, _("Alleen een vraag heeft antwoorden."))
    if not permissions.can_answer_question(current_user, question):
        raise Problem(403, _("U kunt deze vraag niet beantwoorden."))
    data = _json_body({"body": ("string",), "linked_items": ("array",)}, required=("body",))
    answer = _run(lambda: questions.answer_question(
        question, data["body"], data.get("linked_items") or [], actor=current_user))  # fmt: skip
    response = jsonify(_answer(answer))
    response.status_code = 201
    return response


ASK_INPUT = {
    "title": ("string",), "body": ("string",), "themes": ("array",), "product_groups": ("array",),
    "region": ("string", "null"), "group": ("string", "null"), "visibility": ("string",),
    "addressed_to": ("array",),
}  # fmt: skip


@api_route("/questions", methods=["POST"])
def ask_question():
    """Ask a question as on /vragen/nieuw: under the member's organisation, published at once,
    its followers and the organisations it is addressed to told (the question service)."""
    if not permissions.can_ask_question(current_user):
        raise Problem(403, _("U moet lid zijn van een organisatie om een vraag te stellen."))
    data = _json_body(ASK_INPUT, required=("title", "body"))
    asked = questions.QuestionData(
        title=data["title"], body=data["body"], themes=data.get("themes") or [],
        product_groups=data.get("product_groups") or [], region=data.get("region"),
        group=data.get("group"), visibility=data.get("visibility") or "public",
        addressed_to=data.get("addressed_to") or [],
    )  # fmt: skip
    question = _run(lambda: questions.ask_question(asked, actor=current_user))
    response = jsonify(item_detail(question))
    response.status_code = 201
    response.headers["Location"] = url_for("api.item", slug=question.slug, _external=True)
    return response


# --- Organisations and vocabularies -------------------------------------------------------


@api_route("/organisations")
def organisations():
    _refuse_unknown_args({"page", "per_page"})
    page, per_page = _paging()
    query = (
        select(Organisation)
        .order_by(Organisation.name, Organisation.id)
        .options(*ORGANISATION_LOAD)
    )
    total = db.session.scalar(select(db.func.count()).select_from(Organisation))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return _listing([organisation_json(o) for o in rows], page, per_page, total)


@api_route("/organisations/<slug>")
def organisation(slug: str):
    _refuse_unknown_args(set())
    found = by_slug(Organisation, slug)
    if found is None:
        raise Problem(404, _("Deze organisatie bestaat niet."))
    return jsonify(organisation_json(found))


def _vocabulary(model) -> Response:
    _refuse_unknown_args(set())
    terms = db.session.scalars(select(model).order_by(model.position, model.name))
    return jsonify(items=[_term(t) for t in terms])


@api_route("/themes")
def themes():
    return _vocabulary(Theme)


@api_route("/product-groups")
def product_groups():
    return _vocabulary(ProductGroup)


@api_route("/regions")
def regions():
    _refuse_unknown_args(set())
    found = db.session.scalars(select(Region).order_by(Region.kind, Region.name))
    return jsonify(items=[{"slug": r.slug, "name": r.name, "kind": r.kind,
                           "description": r.description} for r in found])  # fmt: skip


# --- The description and its page ---------------------------------------------------------


@api_route("/openapi.json")
def openapi_json():
    _refuse_unknown_args(set())
    return jsonify(openapi.spec(request.host_url))


@bp.route(API + "/docs")
def docs():
    return render_template("api/docs.html", operations=openapi.operations(),
                           statuses=openapi.ERROR_STATUSES)  # fmt: skip


# --- Tokens on the account page -----------------------------------------------------------


@add_section("accounts.account", "api/_account_tokens.html", order=60)
def _account_tokens(user) -> dict | None:
    if not permissions.can_create_api_token(user):
        return None
    return {"tokens": services.tokens_of(user), "form": ConfirmForm()}


@bp.route("/account/api-tokens/nieuw", methods=["GET", "POST"])
@login_required
def new_token():
    if not permissions.can_create_api_token(current_user):
        abort(403)
    form = TokenForm()
    outcome = handle_form(
        form,
        lambda: services.create_api_token(
            form.name.data or "", form.scope.data or "", form.expires_on.data, actor=current_user
        ),
    )
    if outcome.done:
        token, plain = outcome.value
        return render_template("api/token_created.html", token=token, plain=plain)
    return render_template("api/new_token.html", form=form), outcome.status


@bp.route("/account/api-tokens/<int:token_id>/intrekken", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None or not permissions.can_revoke_api_token(current_user, token):
        abort(404)  # another member's token: not even its existence
    return button_action(
        True,
        lambda: services.revoke_api_token(token, actor=current_user),
        _("Het token ‘%(name)s’ is ingetrokken en werkt niet meer.", name=token.name),
        url_for("accounts.account") + "#api-tokens",
    )
