"""Load rows by their stable slug: one place for what forms, seeds and views all need."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select

from portal.extensions import db

T = TypeVar("T")


def by_slug(model: type[T], slug: str | None) -> T | None:
    """Return the row of model with this slug, or None (also for an empty slug)."""
    if not slug:
        return None
    return db.session.scalar(select(model).where(model.slug == slug))  # type: ignore[attr-defined]


def by_slugs(model: type[T], slugs: Iterable[str] | None) -> list[T]:
    """Return the rows of model with these slugs, in the model's natural order; unknown ones are skipped."""
    wanted = [s for s in (slugs or []) if s]
    if not wanted:
        return []
    return list(db.session.scalars(select(model).where(model.slug.in_(wanted))))  # type: ignore[attr-defined]
