"""schema.org JSON-LD for an item's page, so search engines and other portals read what the page
is about: the shared properties of every item here, a kind's own through `KindSpec.linked_data`.

It describes only what the page itself shows its viewer (the page is refused to whoever may not
open the item); the template writes it with `tojson`, which escapes `<`, `>` and `&`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import Any

from portal.content.kinds import KindSpec
from portal.content.models import Item
from portal.mail import absolute_url

TEXT_LIMIT = 500  # characters of a body or answer in the description
# Properties of a creative work (an article, a page) that a kind of another type drops.
CREATIVE_WORK_ONLY = ("headline", "author", "publisher", "datePublished", "dateModified", "genre")


@dataclass(frozen=True)
class Alternate:
    """Another representation of an item's page, linked from it with rel="alternate"."""

    kind: str | None  # the kind it is for; None: every kind
    mimetype: str
    title: Any  # lazily translated
    url: Callable[[Item], str]


_ALTERNATES: list[Alternate] = []


def register_alternate(alternate: Alternate) -> None:
    """Packages that serve an item in another format plug it in here (the API its JSON, the
    OCDS package a tender's release); content names none of them."""
    if alternate not in _ALTERNATES:
        _ALTERNATES.append(alternate)


def alternates(item: Item) -> list[tuple[str, str, str]]:
    """(mimetype, title, url) of every other format of item; its page is shown only to whoever
    may open it, and so is each of these."""
    return [
        (a.mimetype, str(a.title), a.url(item))
        for a in _ALTERNATES
        if a.kind is None or a.kind == item.kind
    ]


def plain_text(html: str, limit: int = TEXT_LIMIT) -> str:
    """Sanitised HTML as one line of text, cut at a word."""
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html or "")).split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def organisation(org) -> dict[str, Any]:
    return {
        "@type": "GovernmentOrganization",
        "name": org.name,
        "url": absolute_url("organisations.show", slug=org.slug),
    }


def item_linked_data(spec: KindSpec, item: Item) -> dict[str, Any]:
    url = absolute_url("content.show", spec=spec.key, slug=item.slug)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "name": item.title,
        "headline": item.title[:110],
        "inLanguage": "nl",
        "isAccessibleForFree": True,
        "publisher": organisation(item.organisation),
        "author": [organisation(o) for o in [item.organisation, *item.co_owners]],
        "genre": str(spec.badge),
    }
    if item.summary:
        data["description"] = item.summary
    if item.published_at:
        data["datePublished"] = item.published_at.isoformat()
    if item.updated_at:
        data["dateModified"] = item.updated_at.isoformat()
    keywords = [t.name for t in item.themes] + [p.name for p in item.product_groups]
    if keywords:
        data["keywords"] = keywords
    if spec.linked_data is not None:
        own = spec.linked_data(item)
        if own.get("@type") not in (None, "Article", "QAPage"):
            for name in CREATIVE_WORK_ONLY:
                data.pop(name, None)
        data.update(own)
    return data
