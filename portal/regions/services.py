"""Region writes (site administrators): provinces and regional networks."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal.common import ServiceError, clean_text, slugify
from portal.extensions import db
from portal.permissions import Actor, authorized_by, can_manage_regions
from portal.regions.models import REGION_KINDS, Region


def _apply(region: Region, name: str, kind: str, description: str) -> None:
    region.name = clean_text(name, limit=150, field="name", label=_("de naam"), required=True)
    if kind not in REGION_KINDS:
        raise ServiceError(_("Kies provincie of netwerk."), field="kind")
    region.kind = kind
    region.description = clean_text(
        description, limit=2000, field="description", label=_("de beschrijving")
    )


@authorized_by(can_manage_regions)
def create_region(
    name: str, kind: str, description: str = "", *, actor: Actor, slug: str | None = None
) -> Region:
    slug = slug or slugify(name)
    if db.session.scalar(select(Region.id).where(Region.slug == slug)) is not None:
        raise ServiceError(_("Deze regio bestaat al."), field="name", status=409)
    region = Region(slug=slug)
    _apply(region, name, kind, description)
    db.session.add(region)
    db.session.flush()
    return region


@authorized_by(can_manage_regions)
def update_region(
    region: Region, name: str, kind: str, description: str = "", *, actor: Actor
) -> None:
    _apply(region, name, kind, description)
    db.session.flush()
