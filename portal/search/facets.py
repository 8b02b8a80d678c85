"""Facets over the visible matches: their values are read in a handful of queries, then filtered
and counted in memory (OR within a facet, AND across facets; a facet's own counts ignore its own
selection), so narrowing never costs a query per facet."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.content.kinds import kinds
from portal.content.models import Item, item_product_groups, item_themes
from portal.content.queries import visible_to
from portal.extensions import db, id_among
from portal.search.display_names import group_slugs, names, organisation_facets
from portal.taxonomy.models import ProductGroup, Theme

# URL name -> label; the order is the order on the page.
FACET_LABELS = {
    "soort": _l("Soort"),
    "thema": _l("Thema"),
    "productgroep": _l("Productgroep"),
    "organisatietype": _l("Soort organisatie"),
    "regio": _l("Regio"),
    "jaar": _l("Jaar"),
    "procedure": _l("Procedure"),
    "gunningsmethode": _l("Gunningsmethode"),
    "instrument": _l("Instrument"),
    "ambitie": _l("Ambitieniveau"),
    "criteriumsoort": _l("Soort criterium"),
    "organisatie": _l("Organisatie"),
    "werkgroep": _l("Werkgroep"),
}
FACETS = tuple(FACET_LABELS)
MAX_VALUES = 20  # per facet in a URL; more is ignored
NONE: frozenset[str] = frozenset()


@dataclass
class Match:
    id: int
    published_at: datetime | None
    reviewed_at: date | None
    values: dict[str, set[str] | frozenset[str]] = field(default_factory=dict)  # facet -> values
    # A question with an accepted or verified answer (ranks a little higher).
    answered: bool = False


def selection(args) -> dict[str, list[str]]:
    return {name: [str(v)[:100] for v in args.getlist(name)[:MAX_VALUES]] for name in FACETS}


# An item's own facet values change only when it is saved, which moves its updated_at: they are
# kept per worker under (id, updated_at), so a warm search reads two small queries, not six.
CACHE_SIZE = 50_000
CHUNK = 5_000  # ids per query
_CACHE: dict[tuple[int, datetime], dict[str, frozenset[str]]] = {}
_CACHE_LOCK = threading.Lock()
# Thousands of items share each facet's few value sets ({"asfalt"}, {"klimaat", "circulair"}):
# the cache keeps one copy of each (a set of one slug alone is 200 bytes), and of their slugs.
_SHARED: dict[frozenset[str], frozenset[str]] = {}


def _item_values(ids: list[int]) -> dict[int, dict[str, frozenset[str]]]:
    """Facet values that belong to the items themselves (four queries for any number of ids)."""

    found: dict[int, dict[str, set[str]]] = {i: defaultdict(set) for i in ids}

    def add(name: str, pairs) -> None:
        for item_id, slug in pairs:
            if slug:
                found[item_id][name].add(slug)

    add("thema", db.session.execute(
        select(item_themes.c.item_id, Theme.slug).join(Theme, Theme.id == item_themes.c.theme_id)
        .where(id_among(item_themes.c.item_id, ids))))  # fmt: skip
    add("productgroep", db.session.execute(
        select(item_product_groups.c.item_id, ProductGroup.slug)
        .join(ProductGroup, ProductGroup.id == item_product_groups.c.product_group_id)
        .where(id_among(item_product_groups.c.item_id, ids))))  # fmt: skip
    by_kind: dict[str, list[int]] = defaultdict(list)
    for item_id, kind in db.session.execute(
        select(Item.id, Item.kind).where(id_among(Item.id, ids))
    ):
        by_kind[kind].append(item_id)
    for kind, kind_ids in by_kind.items():
        spec = kinds().get(kind)
        if spec is None or spec.facet_values is None:
            continue
        for item_id, values in spec.facet_values(kind_ids).items():
            for name, slugs in values.items():
                add(name, [(item_id, slug) for slug in slugs])
    with _CACHE_LOCK:
        return {i: {name: _shared(v) for name, v in values.items()} for i, values in found.items()}


def _shared(values: set[str]) -> frozenset[str]:
    """The one kept copy of these values (call with _CACHE_LOCK held)."""
    if len(_SHARED) >= CACHE_SIZE:  # as many value sets as items: nothing to share
        _SHARED.clear()
    frozen = frozenset(values)
    return _SHARED.setdefault(frozen, frozen)


def _cached_item_values(updated: dict[int, datetime]) -> dict[int, dict[str, frozenset[str]]]:
    keys = {i: (i, moment) for i, moment in updated.items()}
    with _CACHE_LOCK:
        known = {i: _CACHE[key] for i, key in keys.items() if key in _CACHE}
    missing = [i for i in keys if i not in known]
    for start in range(0, len(missing), CHUNK):
        # In chunks: browsing a facet reads every visible item, more than SQLite's parameter limit.
        fresh = _item_values(missing[start : start + CHUNK])
        with _CACHE_LOCK:
            for i, values in fresh.items():
                if len(_CACHE) >= CACHE_SIZE:
                    _CACHE.pop(next(iter(_CACHE)))  # the oldest entry
                _CACHE[keys[i]] = values
        known.update(fresh)
    return known


def visible_matches(ids: Iterable[int] | None, user) -> list[Match]:
    """The ids this user may see (None: every item this user may see), with every facet value of
    each (visibility always from the database; the items' own values and their organisations'
    from per-worker caches)."""
    # Core rows as plain tuples: the ORM's row processing costs more than the query here.
    statement = select(
        Item.id, Item.published_at, Item.reviewed_at, Item.updated_at, Item.kind, Item.year,
        Item.organisation_id, Item.group_id,
    ).where(*visible_to(user))  # fmt: skip
    if ids is not None:
        statement = statement.where(id_among(Item.id, list(ids)))
    rows = db.session.connection().execute(statement).all()
    if not rows:
        return []
    item_values = _cached_item_values({row[0]: row[3] for row in rows})
    organisations, groups = organisation_facets(), group_slugs()
    matches: dict[int, Match] = {}
    for item_id, published_at, reviewed_at, _updated, kind, year, org_id, group_id in rows:
        values = dict.fromkeys(FACETS, NONE)
        values.update(item_values[item_id])
        values.update(organisations.get(org_id, {}))
        values["soort"] = frozenset((kind,))
        values["jaar"] = frozenset((str(year),)) if year is not None else NONE
        if group_id in groups:  # the item is shared with this group (and this user may see it)
            values["werkgroep"] = frozenset((groups[group_id],))
        matches[item_id] = Match(item_id, published_at, reviewed_at, values)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for item_id, match in matches.items():
        by_kind[next(iter(match.values["soort"]))].append(item_id)
    for kind, kind_ids in by_kind.items():
        spec = kinds().get(kind)
        if spec is not None and spec.answered is not None:
            for item_id in spec.answered(kind_ids):
                matches[item_id].answered = True
    return list(matches.values())


def _passing_facets(
    matches: list[Match], selected: dict[str, list[str]], skip: str | None = None
) -> list[Match]:
    active = [(name, set(values)) for name, values in selected.items() if values and name != skip]
    if not active:
        return matches
    return [m for m in matches if all(not m.values[n].isdisjoint(v) for n, v in active)]


def narrow(matches: list[Match], selected: dict[str, list[str]]) -> list[Match]:
    """The matches that pass every selected facet."""
    return _passing_facets(matches, selected)


def _labels() -> dict[str, dict[str, str]]:
    """Every facet value's label: the kinds' names, and the taxonomy's (kept per worker)."""
    return {**names(), "soort": {key: str(spec.plural) for key, spec in kinds().items()}}


def counts(
    matches: list[Match], selected: dict[str, list[str]]
) -> dict[str, list[tuple[str, str, int]]]:
    """(value, label, count) per facet: most frequent first, years newest first."""
    labels = _labels()
    # A facet without a selection counts the fully narrowed matches: all of those in one pass;
    # each selected facet counts the matches that pass the other facets.
    open_facets = [name for name in FACETS if not selected.get(name)]
    counters: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for match in _passing_facets(matches, selected):
        values = match.values
        for name in open_facets:
            counter = counters[name]
            for value in values[name]:
                counter[value] = counter.get(value, 0) + 1
    for name in FACETS:
        if name in open_facets:
            continue
        counter = counters[name]
        for match in _passing_facets(matches, selected, skip=name):
            for value in match.values[name]:
                counter[value] = counter.get(value, 0) + 1
    result: dict[str, list[tuple[str, str, int]]] = {}
    for name in FACETS:
        named = labels.get(name, {})
        rows = [(value, named.get(value, value), n) for value, n in counters[name].items()]
        if name == "jaar":
            rows.sort(key=lambda row: row[0], reverse=True)
        else:
            rows.sort(key=lambda row: (-row[2], row[1]))
        result[name] = rows
    return result
