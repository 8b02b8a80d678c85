"""What every template may use: permission functions, the language, navigation helpers."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, get_flashed_messages, request, url_for
from flask_babel import get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from portal import formatting, permissions
from portal.common import as_utc, current_language, utcnow
from portal.forms import form_has_errors
from portal.permissions import can_list_item
from portal.sections import sections_for


def _atom_date(moment) -> str:
    """RFC 3339 in UTC for Atom; now when there is no date."""

    return as_utc(moment or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


DUTCH_WRAPPERS = {"span": ('<span lang="nl">', "</span>"), "div": ('<div lang="nl">', "</div>")}


def _dutch(value, tag: str = "span") -> Markup:
    """Mark what members wrote (in Dutch) as Dutch on a page in another language (WCAG 3.1.2):
    escaped (HTML already made safe stays as it is), in <span lang="nl"> or <div lang="nl">."""
    if value is None or value == "":
        return Markup("")
    text = escape(value)
    if current_language() == "nl":
        return text
    opening, closing = DUTCH_WRAPPERS[tag]
    return Markup(opening) + text + Markup(closing)  # noqa: S704 (fixed tags, escaped text)


def _visible_to_viewer(item) -> bool:
    """Jinja test: may the current visitor see this item among others? (can_list_item)"""
    from flask_login import current_user

    return can_list_item(current_user, item)


def _url_without(*names: str) -> str:
    """This page's URL without the named query parameters (and back on its first page)."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in names and k != "pagina"]
    return request.path + ("?" + urlencode(kept) if kept else "")


def _download_url(endpoint: str, file_format: str, **values) -> str:
    """The download (CSV or XLSX) of this page's table: its query parameters, every page."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "pagina"]
    url = url_for(endpoint, file_format=file_format, **values)
    return url + (("&" if "?" in url else "?") + urlencode(kept) if kept else "")


@pass_context
def page_has_errors(context: Context) -> bool:
    """Whether the page shows an error: a form of the page with errors, or a flashed error.

    base.html prefixes the title with it ("Fout: "), so every form page says so without its own
    code."""

    if any(form_has_errors(value) for value in context.get_all().values()):
        return True
    return bool(get_flashed_messages(category_filter=["error"]))


def init_app(app: Flask) -> None:
    @app.context_processor
    def inject() -> dict:
        return {
            "perm": permissions,
            "current_locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
        }

    # Numbers, money and dates only through these (portal/formatting.py), never by hand.
    app.jinja_env.filters.update(
        money=formatting.money, number=formatting.number, date=formatting.long_date,
        datetime=formatting.long_datetime, day=formatting.day, time=formatting.clock,
    )  # fmt: skip
    app.jinja_env.filters["atom_date"] = _atom_date
    app.jinja_env.filters["dutch"] = _dutch
    app.jinja_env.globals["pairs"] = lambda terms: [(t.slug, str(t)) for t in terms]
    app.jinja_env.tests["visible_to_viewer"] = _visible_to_viewer
    app.jinja_env.filters["zip"] = lambda first, second: list(zip(first, second, strict=False))
    app.jinja_env.globals["sections_for"] = sections_for  # e.g. what packages add to the header
    app.jinja_env.globals["url_without"] = _url_without
    app.jinja_env.globals["download_url"] = _download_url
    app.jinja_env.globals["form_has_errors"] = form_has_errors
    app.jinja_env.globals["page_has_errors"] = page_has_errors
    app.jinja_env.globals["request_path"] = lambda: request.full_path.rstrip("?")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def vary_by_language(response):
        # A visitor's page language may come from Accept-Language: caches must keep them apart.
        if request.endpoint != "static":
            response.vary.add("Accept-Language")
        return response
