"""The criteria basket as Markdown and as a Word document (python-docx)."""

from __future__ import annotations

import io

from docx import Document
from flask_babel import gettext as _

from portal.criteria.models import Criterion


def _meta(item: Criterion) -> list[tuple[str, str]]:
    return [
        (_("Soort"), item.criterion_kind.label if item.criterion_kind else ""),
        (_("Ambitieniveau"), item.ambition_level.label if item.ambition_level else ""),
        (_("Weging"), item.weighting),
        (_("Bewijsmiddel"), item.verification),
        (_("Bron"), " ".join(p for p in (item.source, item.source_version) if p)),
        (_("Organisatie"), item.organisation.name),
    ]


def basket_markdown(items: list[Criterion]) -> str:
    parts = [f"# {_('MVI-criteria uit het MVI-kennisportaal')}\n"]
    for item in items:
        parts.append(f"## {item.title}\n\n{item.clause_text}\n")
        parts.extend(f"- **{label}:** {value}" for label, value in _meta(item) if value)
        parts.append("")
    return "\n".join(parts)


def basket_docx(items: list[Criterion]) -> io.BytesIO:
    document = Document()
    document.add_heading(_("MVI-criteria uit het MVI-kennisportaal"), level=0)
    for item in items:
        document.add_heading(item.title, level=1)
        document.add_paragraph(item.clause_text)
        for label, value in _meta(item):
            if value:
                paragraph = document.add_paragraph(style="List Bullet")
                paragraph.add_run(f"{label}: ").bold = True
                paragraph.add_run(value)
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    return buffer
