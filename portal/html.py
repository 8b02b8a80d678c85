"""The only place user HTML is produced: Markdown rendering and sanitising with nh3.

bleach, named on the original design card, is unmaintained since June 2026 and gets no more
security fixes; nh3 (Rust's ammonia) is its maintained successor. Everything goes through
sanitize() with one allowlist, on write; only fields named *_html are marked safe in templates.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr",
    "th", "td", "sup", "sub", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "td": set()}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# Raw HTML in Markdown is escaped, not passed through; nh3 is the second line of defence.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def sanitize(html: str) -> str:
    """Return html with everything outside the allowlist removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    """Render user Markdown to sanitised HTML (store the result in a *_html field)."""
    # Headings start at h2: the page title is the only h1.
    html = _markdown.render(text or "")
    for level in range(5, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    return sanitize(html)
