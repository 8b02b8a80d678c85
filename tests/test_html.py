from portal.html import render_markdown, sanitize


def test_sanitize_removes_scripts_handlers_and_javascript_urls():
    dirty = (
        '<p onclick="x()">Hoi<script>alert(1)</script> <a href="javascript:alert(1)">klik</a></p>'
    )
    clean = sanitize(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean
    assert "Hoi" in clean


def test_markdown_escapes_raw_html_and_shifts_headings():
    html = render_markdown(
        "# Titel\n\n<img src=x onerror=alert(1)>\n\n[PIANOo](https://www.pianoo.nl)"
    )
    assert "<h2>Titel</h2>" in html
    assert "<img" not in html
    assert 'href="https://www.pianoo.nl"' in html and 'rel="noopener noreferrer nofollow"' in html
