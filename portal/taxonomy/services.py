"""Vocabulary writes: administrators add and edit terms; slugs stay stable."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.common import ServiceError, clean_text, slugify
from portal.extensions import db
from portal.permissions import Actor, authorized_by, can_edit_taxonomy
from portal.taxonomy.models import ProductCluster, ProductGroup, TermMixin, Vocabulary

CPV_RE = re.compile(r"^\d{8}(-\d)?$")


def clean_cpv_codes(value: str) -> str:
    """Return CPV codes space-separated: 8 digits, optional check digit ('45233220-7')."""
    codes = [c for c in re.split(r"[\s,;]+", value or "") if c]
    for code in codes:
        if not CPV_RE.match(code):
            raise ServiceError(
                _(
                    "'%(code)s' is geen geldige CPV-code (8 cijfers, eventueel met controlecijfer, zoals 45233220-7).",
                    code=code[:20],
                ),
                field="cpv_codes",
            )
    if len(" ".join(codes)) > 400:
        raise ServiceError(_("Te veel CPV-codes."), field="cpv_codes")
    return " ".join(dict.fromkeys(codes))


# Fields beyond the shared ones, per vocabulary model, with their cleaning function.
def _extra_fields(term: TermMixin, values: dict[str, Any]) -> None:
    if isinstance(term, ProductGroup):
        cluster = values.get("cluster")
        if not isinstance(cluster, ProductCluster):
            raise ServiceError(_("Kies een productcluster."), field="cluster")
        term.cluster = cluster
        term.cpv_codes = clean_cpv_codes(values.get("cpv_codes", ""))
        term.confirmed = bool(values.get("confirmed", False))
    for flag in ("is_core", "has_size_class"):
        if hasattr(term, flag) and flag in values:
            setattr(term, flag, bool(values[flag]))
    if hasattr(term, "threshold") and "threshold" in values:
        if values["threshold"] not in ("boven", "onder", "overig"):
            raise ServiceError(_("Kies boven, onder of overig."), field="threshold")
        term.threshold = values["threshold"]


def _apply(vocabulary: Vocabulary, term: TermMixin, values: dict[str, Any]) -> None:
    name = clean_text(
        values.get("name"), limit=150, field="name", label=_("de naam"), required=True
    )
    model = vocabulary.model
    clash = db.session.scalar(select(model).where(func.lower(model.name) == name.lower()))
    if clash is not None and clash is not term:
        raise ServiceError(_("Deze naam bestaat al in deze lijst."), field="name", status=409)
    term.name = name
    term.description = clean_text(
        values.get("description"), limit=2000, field="description", label=_("de beschrijving")
    )
    # English: optional; pages in English fall back to the Dutch name while it is empty.
    term.name_en = clean_text(
        values.get("name_en"), limit=150, field="name_en", label=_("de Engelse naam"),
        single_line=True,
    )  # fmt: skip
    term.description_en = clean_text(
        values.get("description_en"), limit=2000, field="description_en",
        label=_("de Engelse beschrijving"),
    )  # fmt: skip
    position = values.get("position", term.position or 0)
    if not isinstance(position, int) or not 0 <= position <= 10000:
        raise ServiceError(_("De volgorde is een getal van 0 tot 10000."), field="position")
    term.position = position
    term.is_active = bool(values.get("is_active", True))
    _extra_fields(term, values)


@authorized_by(can_edit_taxonomy)
def create_term(
    vocabulary: Vocabulary, values: dict[str, Any], *, actor: Actor, slug: str | None = None
) -> TermMixin:
    """Add a term; its slug is made from the name once and never changes afterwards."""
    model = vocabulary.model
    base = slug or slugify(values.get("name") or "")
    slug, n = base, 2
    while db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    term = model(slug=slug)
    _apply(vocabulary, term, values)
    db.session.add(term)
    db.session.flush()
    return term


@authorized_by(can_edit_taxonomy)
def update_term(
    vocabulary: Vocabulary, term: TermMixin, values: dict[str, Any], *, actor: Actor
) -> None:
    _apply(vocabulary, term, values)
    db.session.flush()
