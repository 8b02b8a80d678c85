"""Atom feeds: per theme, product group, region and working group (public items only), and for
any search. One template, one response shape."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, render_template, request
from flask_login import AnonymousUserMixin
from sqlalchemy import Select

from portal.content.models import Item
from portal.content.queries import published_items
from portal.extensions import db

FEED_SIZE = 50


def atom(title: str, items: Sequence[Item], page_url: str):
    body = render_template(
        "feeds/atom.xml", feed_title=title, items=list(items), self_url=request.url,
        page_url=page_url,
    )  # fmt: skip
    return current_app.response_class(body, mimetype="application/atom+xml")


def public_feed(title: str, condition, page_url: str):
    """The newest public, published items meeting condition (what an anonymous reader may see)."""
    query: Select = published_items(AnonymousUserMixin()).where(condition)
    items = db.session.scalars(
        query.order_by(Item.published_at.desc(), Item.id.desc()).limit(FEED_SIZE)
    ).all()
    return atom(title, items, page_url)
