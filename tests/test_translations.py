"""Every interface string has an English translation (Dutch is the source language)."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from portal.config import PROJECT_ROOT


def _extracted_ids() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    ids: set[str] = set()
    for folder, method in (("portal", "python"), ("templates", "jinja2")):
        pattern = "**.py" if method == "python" else "**.html"
        for _file, _line, message, _comments, _context in extract_from_dir(
            PROJECT_ROOT / folder,
            [(pattern, method)],
            keywords=keywords,
            # Every folder but hidden ones: Babel's default also skips "_macros".
            directory_filter=lambda path: not Path(path).name.startswith("."),
        ):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_every_string_is_translated_to_english():
    with open(PROJECT_ROOT / "portal/translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalog
        if m.id
        and not m.fuzzy  # a guess by `pybabel update`, often wrong ("Volgen" -> "Next")
        and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    ids = _extracted_ids()
    assert len(ids) > 300
    assert sorted(ids - translated) == []
