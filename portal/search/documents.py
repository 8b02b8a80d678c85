"""What of a knowledge item goes into the index: analysed terms per weighted field."""

from __future__ import annotations

from portal.content.models import Item
from portal.search.analysis import analyze

# Field weights: title above summary and taxonomy terms, above body, above attachment text.
FIELD_BOOSTS = {"title": 5.0, "summary": 2.5, "taxonomy": 2.0, "body": 1.0, "attachments": 0.6}
KIND_TEXT_FIELDS = (
    "clause_text", "weighting", "verification", "results_md", "lesson", "context", "what_worked",
    "do_differently", "purpose", "questions_md", "outcome_md", "changes_after_md", "participants_kind",
    "answers_text", "location", "agenda_md", "report_md",
)  # fmt: skip


def body_text(item: Item) -> str:
    parts = [item.body_md]
    parts.extend(str(getattr(item, name, "") or "") for name in KIND_TEXT_FIELDS)
    return "\n".join(p for p in parts if p)


def taxonomy_text(item: Item) -> str:
    names = [t.name for t in item.themes] + [g.name for g in item.product_groups]
    names += [t.name for t in item.tags] + [item.organisation.name]
    for attr in ("procedure", "award_method", "criterion_kind", "ambition_level", "phase"):
        term = getattr(item, attr, None)
        if term is not None:
            names.append(term.name)
    return " ".join(names)


def document(item: Item) -> dict[str, str]:
    """The item as space-separated analysed terms per field (the same for every engine)."""
    return {
        "id": str(item.id),
        "kind": item.kind,
        "title": " ".join(analyze(item.title)),
        "summary": " ".join(analyze(item.summary)),
        "taxonomy": " ".join(analyze(taxonomy_text(item))),
        "body": " ".join(analyze(body_text(item))),
        "attachments": " ".join(analyze(" ".join(a.text for a in item.attachments))),
    }
