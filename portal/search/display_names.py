"""The names a search page shows beside its results (facet labels, and the organisations, themes,
product groups and working groups of the directory block), and what search needs of each
organisation and working group (slug, type, regions), kept per worker.

They change rarely and are read on every search, so a worker keeps them for NAMES_TTL seconds and
forgets them at once when its own session writes one of them (`forget_if_named`, after a flush):
another worker shows a renamed theme within a minute. Names only: who may see which item is never
decided from here.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import literal, select, union_all

from portal.common import current_language
from portal.extensions import db
from portal.groups.models import WorkingGroup
from portal.organisations.models import Organisation, organisation_regions
from portal.regions.models import Region
from portal.search.worker_cache import cached, forget
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

NAMES_TTL = 60.0


def _models() -> dict[str, type]:
    """Facet or directory name -> the model whose slugs and names it shows."""
    return {
        "thema": Theme, "productgroep": ProductGroup, "organisatietype": OrganisationType,
        "regio": Region, "procedure": Procedure, "gunningsmethode": AwardMethod,
        "instrument": Instrument, "ambitie": AmbitionLevel, "criteriumsoort": CriterionKind,
        "organisatie": Organisation, "werkgroep": WorkingGroup,
    }  # fmt: skip


def names() -> dict[str, dict[str, str]]:
    """{facet or directory name: {slug: name}} in the page's language, read in one query."""

    def load() -> dict[str, dict[str, dict[str, str]]]:
        found: dict[str, dict[str, dict[str, str]]] = {
            "nl": defaultdict(dict), "en": defaultdict(dict)
        }  # fmt: skip
        every = union_all(
            *(
                select(
                    literal(name).label("facet"),
                    model.slug,
                    model.name,
                    model.name_en if hasattr(model, "name_en") else literal(""),
                )
                for name, model in _models().items()
            )
        )
        for facet, slug, name, name_en in db.session.execute(every):
            found["nl"][facet][slug] = name
            found["en"][facet][slug] = name_en or name
        return found

    by_language = cached("names", load, NAMES_TTL)
    return by_language.get(current_language(), by_language["nl"])


def organisation_facets() -> dict[int, dict[str, frozenset[str]]]:
    """{organisation id: {"organisatie": its slug, "organisatietype": its type's slug, "regio":
    its regions' slugs}} (each a set of slugs, as facet values are)."""

    def load() -> dict[int, dict[str, frozenset[str]]]:
        found: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for org_id, slug, type_slug, region_slug in db.session.execute(
            select(Organisation.id, Organisation.slug, OrganisationType.slug, Region.slug)
            .outerjoin(OrganisationType, OrganisationType.id == Organisation.type_id)
            .outerjoin(organisation_regions, organisation_regions.c.organisation_id == Organisation.id)
            .outerjoin(Region, Region.id == organisation_regions.c.region_id)
        ):  # fmt: skip
            values = found[org_id]
            values["organisatie"].add(slug)
            if type_slug:
                values["organisatietype"].add(type_slug)
            if region_slug:
                values["regio"].add(region_slug)
        return {
            org_id: {name: frozenset(slugs) for name, slugs in values.items()}
            for org_id, values in found.items()
        }

    return cached("organisations", load, NAMES_TTL)


def group_slugs() -> dict[int, str]:
    """{working group id: slug}."""

    def load() -> dict[int, str]:
        return {
            gid: slug
            for gid, slug in db.session.execute(select(WorkingGroup.id, WorkingGroup.slug))
        }

    return cached("groups", load, NAMES_TTL)


def forget_if_named(objects) -> None:
    """Drop this worker's names when any of these (flushed) objects is one of them."""
    named = tuple(_models().values())
    if any(isinstance(obj, named) for obj in objects):
        forget()
