"""Bulk import and export of knowledge items as JSON Lines, through the same services as the forms.

A bad line is reported with its number and reason and nothing of it is saved; good lines still
import. Every item has an `external_id` and the export writes it, so re-importing an export updates
the items instead of duplicating them; a new item keeps the line's `slug` when that is free.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError

from portal.common import ServiceError
from portal.content import services
from portal.content.kinds import kinds
from portal.content.models import Item, ItemLink
from portal.extensions import db
from portal.organisations import services as organisation_services
from portal.organisations.models import Organisation
from portal.permissions import SYSTEM
from portal.taxonomy.models import OrganisationType


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.created} aangemaakt, {self.updated} bijgewerkt, {self.unchanged} ongewijzigd, "
            f"{self.links} koppelingen, {len(self.errors)} fouten"
        )


def _organisation(name: str, create: bool) -> Organisation:
    name = (name or "").strip()
    found = db.session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    )
    if found is not None:
        return found
    if not create or not name:
        raise ServiceError(f"onbekende organisatie '{name[:80]}' (gebruik --create-organisations)")
    other = db.session.scalar(select(OrganisationType).where(OrganisationType.slug == "overig"))
    if other is None:
        raise ServiceError(
            f"organisatie '{name[:80]}' kan niet worden aangemaakt: het organisatietype 'overig' "
            "ontbreekt (laad eerst de vocabulaires met `flask seed`)"
        )
    data = organisation_services.OrganisationData(name=name, type=other)
    return organisation_services.create_organisation(data, actor=SYSTEM)


def _strings(record: dict[str, Any], key: str) -> list[str]:
    values = record.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ServiceError(f"'{key}' moet een lijst met teksten zijn")
    return values


def _item_data(record: dict[str, Any], create_organisations: bool) -> services.ItemData:
    if not isinstance(record.get("fields") or {}, dict):
        raise ServiceError("'fields' moet een JSON-object zijn")
    return services.ItemData(
        title=record.get("title", ""),
        summary=record.get("summary", ""),
        body=record.get("body", ""),
        themes=_strings(record, "themes"),
        product_groups=_strings(record, "product_groups"),
        tags=_strings(record, "tags"),
        year=record.get("year"),
        status=record.get("status", "published"),
        visibility=record.get("visibility", "public"),
        group=record.get("group"),
        co_owners=[_organisation(n, create_organisations) for n in _strings(record, "co_owners")],
        reviewed_at=record.get("reviewed_at"),
        external_id=record.get("external_id"),
        fields=dict(record.get("fields") or {}),
        slug=record.get("slug") if isinstance(record.get("slug"), str) else None,
    )


def _import_record(
    record: dict[str, Any], report: ImportReport, create_organisations: bool
) -> None:
    if not isinstance(record, dict):
        raise ServiceError("een regel moet één JSON-object zijn")
    kind = record.get("kind")
    spec = kinds().get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise ServiceError(f"onbekende soort '{str(kind)[:40]}' ({', '.join(kinds())})")
    for key in ("organisation", "external_id"):
        if not isinstance(record.get(key) or "", str):
            raise ServiceError(f"'{key}' moet een tekst zijn")
    organisation = _organisation(record.get("organisation", ""), create_organisations)
    data = _item_data(record, create_organisations)
    external_id = data.external_id or None
    existing = (
        db.session.scalar(select(Item).where(Item.external_id == external_id))
        if external_id
        else None
    )
    if existing is None:
        services.create_item(organisation, spec, data, actor=SYSTEM)
        report.created += 1
        return
    if existing.kind != spec.key:
        raise ServiceError(f"external_id '{external_id}' hoort bij een item van een andere soort")
    before = services.snapshot(existing)
    revisions = len(existing.revisions)
    services.update_item(existing, data, actor=SYSTEM)
    if services.snapshot(existing) == before:
        raise _UnchangedError(revisions)
    report.updated += 1


class _UnchangedError(Exception):
    """Raised to roll back a no-op update (so no empty revision is kept)."""


def _lines(lines: Iterable[str]) -> Iterator[tuple[int, dict | None, str | None]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line), None
        except json.JSONDecodeError as error:
            yield number, None, f"geen geldige JSON ({error.msg}, kolom {error.colno})"


def import_items(lines: Iterable[str], *, create_organisations: bool = False) -> ImportReport:
    """Import JSON Lines; each line in its own savepoint. The caller commits."""
    report = ImportReport()
    wanted_links: list[tuple[int, str, str]] = []
    for number, record, problem in _lines(lines):
        if problem:
            report.errors.append((number, problem))
            continue
        savepoint = db.session.begin_nested()
        try:
            _import_record(record, report, create_organisations)
            savepoint.commit()
        except _UnchangedError:
            savepoint.rollback()
            report.unchanged += 1
        except ServiceError as error:
            savepoint.rollback()
            where = f" ({error.field})" if error.field else ""
            report.errors.append((number, f"{error.message}{where}"))
            continue
        except (IntegrityError, DataError) as error:
            savepoint.rollback()
            reason = str(error.orig).splitlines()[0][:200]
            report.errors.append((number, f"de database weigert deze regel ({reason})"))
            continue
        for link in record.get("links") or []:
            if isinstance(link, dict) and link.get("target"):
                wanted_links.append((number, record.get("external_id") or "", str(link["target"])))
    for number, source_id, target_id in wanted_links:
        source = (
            db.session.scalar(select(Item).where(Item.external_id == source_id))
            if source_id
            else None
        )
        target = db.session.scalar(select(Item).where(Item.external_id == target_id))
        if source is None or target is None:
            report.errors.append((number, f"koppeling naar onbekend item '{target_id[:80]}'"))
            continue
        # Either way round: a link is made from either side (a tender's line may name its
        # criterion, the criterion's line the tender), and both name the one link.
        if db.session.scalar(
            select(ItemLink.id).where(
                ((ItemLink.source_id == source.id) & (ItemLink.target_id == target.id))
                | ((ItemLink.source_id == target.id) & (ItemLink.target_id == source.id))
            )
        ):
            continue
        savepoint = db.session.begin_nested()
        try:
            services.link_items(source, target, actor=SYSTEM)
            savepoint.commit()
            report.links += 1
        except ServiceError as error:
            savepoint.rollback()
            report.errors.append((number, f"koppeling: {error.message}"))
    return report


def export_items() -> Iterator[str]:
    """Every item as one JSON line, in the import format (links by external_id or slug)."""
    for item in db.session.scalars(select(Item).order_by(Item.id)):
        data = services.snapshot(item)
        record = {
            "kind": item.kind,
            "external_id": item.external_id,
            "slug": item.slug,
            "organisation": item.organisation.name,
            **{k: v for k, v in data.items()},
            "links": [
                {"relation": link.relation, "target": link.target.external_id or link.target.slug}
                for link in item.outgoing_links
            ],
        }
        yield json.dumps(record, ensure_ascii=False)
