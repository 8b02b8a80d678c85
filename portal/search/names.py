"""The names a search page shows beside its results (facet labels, and the organisations, themes,
product groups and working groups of the directory block), and each organisation's type and
regions (facet values of its items), kept per worker.

They change rarely and are read on every search, so a worker keeps them for NAMES_TTL seconds and
forgets them at once when its own session writes one of them (`forget_if_named`, after a flush):
another worker shows a renamed theme within a minute. Names only: who may see which item is never
decided from here.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict

from sqlalchemy import literal, select, union_all

from portal.extensions import db

NAMES_TTL = 60.0
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (time, names)
_ORGANISATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> (time, ...)
_LOCK = threading.Lock()


def _models() -> dict[str, type]:
    """Facet or directory name -> the model whose slugs and names it shows."""
    from portal.groups.models import WorkingGroup
    from portal.organisations.models import Organisation
    from portal.regions.models import Region
    from portal.taxonomy.models import (
        AmbitionLevel,
        AwardMethod,
        CriterionKind,
        Instrument,
        OrganisationType,
        Procedure,
        ProductGroup,
        Theme,
    )

    return {
        "thema": Theme, "productgroep": ProductGroup, "organisatietype": OrganisationType,
        "regio": Region, "procedure": Procedure, "gunningsmethode": AwardMethod,
        "instrument": Instrument, "ambitie": AmbitionLevel, "criteriumsoort": CriterionKind,
        "organisatie": Organisation, "werkgroep": WorkingGroup,
    }  # fmt: skip


def names() -> dict[str, dict[str, str]]:
    """{facet or directory name: {slug: name}}, read in one query at most once per NAMES_TTL."""
    engine = db.engine
    with _LOCK:
        cached = _CACHE.get(engine)
    if cached is not None and time.monotonic() - cached[0] < NAMES_TTL:
        return cached[1]
    found: dict[str, dict[str, str]] = defaultdict(dict)
    every = union_all(
        *(
            select(literal(name).label("facet"), model.slug, model.name)
            for name, model in _models().items()
        )
    )
    for facet, slug, name in db.session.execute(every):
        found[facet][slug] = name
    with _LOCK:
        _CACHE[engine] = (time.monotonic(), found)
    return found


def organisation_facets() -> dict[int, tuple[frozenset[str], frozenset[str]]]:
    """{organisation id: (its type's slug, its regions' slugs)}, kept like the names."""
    from portal.organisations.models import Organisation, organisation_regions
    from portal.regions.models import Region
    from portal.taxonomy.models import OrganisationType

    engine = db.engine
    with _LOCK:
        cached = _ORGANISATIONS.get(engine)
    if cached is not None and time.monotonic() - cached[0] < NAMES_TTL:
        return cached[1]
    types: dict[int, set[str]] = defaultdict(set)
    regions: dict[int, set[str]] = defaultdict(set)
    for org_id, type_slug, region_slug in db.session.execute(
        select(Organisation.id, OrganisationType.slug, Region.slug)
        .outerjoin(OrganisationType, OrganisationType.id == Organisation.type_id)
        .outerjoin(organisation_regions, organisation_regions.c.organisation_id == Organisation.id)
        .outerjoin(Region, Region.id == organisation_regions.c.region_id)
    ):  # fmt: skip
        if type_slug:
            types[org_id].add(type_slug)
        if region_slug:
            regions[org_id].add(region_slug)
    found = {i: (frozenset(types[i]), frozenset(regions[i])) for i in types.keys() | regions.keys()}
    with _LOCK:
        _ORGANISATIONS[engine] = (time.monotonic(), found)
    return found


def forget_if_named(objects) -> None:
    """Drop this worker's names when any of these (flushed) objects is one of them."""
    named = tuple(_models().values())
    if any(isinstance(obj, named) for obj in objects):
        with _LOCK:
            _CACHE.clear()
            _ORGANISATIONS.clear()
