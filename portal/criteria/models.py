"""Award criterion or requirement (criterium/eis): the clause text to reuse and how it is scored."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import Item
from portal.taxonomy.models import AmbitionLevel, CriterionKind


class Criterion(Item):
    __tablename__ = "criteria"
    __mapper_args__ = {"polymorphic_identity": "criterion"}

    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    clause_text: Mapped[str] = mapped_column(Text, default="")
    criterion_kind_id: Mapped[int | None] = mapped_column(
        ForeignKey("criterion_kinds.id"), index=True
    )
    ambition_level_id: Mapped[int | None] = mapped_column(
        ForeignKey("ambition_levels.id"), index=True
    )
    weighting: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    source_version: Mapped[str] = mapped_column(String(50), default="")

    criterion_kind: Mapped[CriterionKind | None] = relationship()
    ambition_level: Mapped[AmbitionLevel | None] = relationship()

    def kind_fields(self) -> dict:
        return {
            "clause_text": self.clause_text,
            "criterion_kind": self.criterion_kind.slug if self.criterion_kind else None,
            "ambition_level": self.ambition_level.slug if self.ambition_level else None,
            "weighting": self.weighting,
            "verification": self.verification,
            "source": self.source,
            "source_version": self.source_version,
        }
