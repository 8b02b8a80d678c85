"""What of a knowledge item goes into the index: analysed terms per weighted field."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from portal.config import PROJECT_ROOT
from portal.content.kinds import kind_of
from portal.content.models import Item
from portal.search.analysis import analyze

# Field weights: title above summary and taxonomy terms, above body, above attachment text.
FIELD_BOOSTS = {"title": 5.0, "summary": 2.5, "taxonomy": 2.0, "body": 1.0, "attachments": 0.6}
# Raise when the analysis changes in code: every document is then reported stale.
ANALYSIS_VERSION = "2"


def body_text(item: Item) -> str:
    """The body and the kind's own long texts (its spec names them)."""
    parts = [item.body_md]
    parts.extend(str(getattr(item, name, "") or "") for name in kind_of(item).text_fields)
    return "\n".join(p for p in parts if p)


def taxonomy_text(item: Item) -> str:
    names = [t.name for t in item.themes] + [g.name for g in item.product_groups]
    names += [t.name for t in item.tags] + [item.organisation.name]
    for attr in kind_of(item).term_fields:
        term = getattr(item, attr, None)
        if term is not None:
            names.append(term.name)
    return " ".join(names)


def _sources(item: Item) -> dict[str, str]:
    return {
        "title": item.title,
        "summary": item.summary,
        "taxonomy": taxonomy_text(item),
        "body": body_text(item),
        "attachments": " ".join(a.text for a in item.attachments),
    }


@lru_cache(maxsize=1)
def analysis_stamp() -> str:
    """What the analysis depends on besides the text (word lists, abbreviations, this code), so a
    change to it makes every document stale."""
    digest = hashlib.sha256(ANALYSIS_VERSION.encode())
    seeds = PROJECT_ROOT / "seeds"
    for path in [*sorted((seeds / "search").glob("*.txt")), *sorted(seeds.glob("taxonomy/*.yaml"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def source_hash(item: Item, sources: dict[str, str] | None = None) -> str:
    """A hash of everything an item's document is made from: equal hashes, equal documents."""
    sources = sources or _sources(item)
    digest = hashlib.sha256(f"{analysis_stamp()}\x00{item.kind}".encode())
    for name in FIELD_BOOSTS:
        digest.update(b"\x00" + sources[name].encode())
    return digest.hexdigest()


def document(item: Item) -> dict[str, str]:
    """The item as space-separated analysed terms per field (the same for every engine)."""
    sources = _sources(item)
    return {
        "id": str(item.id),
        "kind": item.kind,
        "hash": source_hash(item, sources),
        **{name: " ".join(analyze(text)) for name, text in sources.items()},
    }
