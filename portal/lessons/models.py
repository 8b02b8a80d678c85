"""Lesson learned (geleerde les): the lesson in one sentence, with its context."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.content.models import Item
from portal.taxonomy.models import JobRole, Phase


class Lesson(Item):
    __tablename__ = "lessons"
    __mapper_args__ = {"polymorphic_identity": "lesson"}

    id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    lesson: Mapped[str] = mapped_column(String(300), default="")
    context: Mapped[str] = mapped_column(Text, default="")
    what_worked: Mapped[str] = mapped_column(Text, default="")
    do_differently: Mapped[str] = mapped_column(Text, default="")
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id"), index=True)
    writer_role_id: Mapped[int | None] = mapped_column(ForeignKey("job_roles.id"))

    phase: Mapped[Phase | None] = relationship()
    writer_role: Mapped[JobRole | None] = relationship()

    def kind_fields(self) -> dict:
        return {
            "lesson": self.lesson,
            "context": self.context,
            "what_worked": self.what_worked,
            "do_differently": self.do_differently,
            "phase": self.phase.slug if self.phase else None,
            "writer_role": self.writer_role.slug if self.writer_role else None,
        }
