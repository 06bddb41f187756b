"""Text staff write in Markdown, shown to the public as HTML: rendered and then sanitised on the server.

Markdown lets raw HTML through, so the rendered HTML goes through nh3 (the Rust `ammonia`
sanitiser) with an allow-list: headings, paragraphs, lists, emphasis, quotes, code and links.
Everything else — <script>, <style>, <iframe>, <img>, forms, event handlers, style attributes —
is removed; script and style are removed with their content. Links keep only http, https and
mailto addresses (a `javascript:` or `data:` link loses its address) and always carry
rel="noopener noreferrer nofollow", so a guide never leaks the reader's page to another site.
Images are left out on purpose: an image from another site would tell that site who reads the
guide (and the Content-Security-Policy would block it anyway).
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"h2", "h3", "h4", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i", "a",
                "blockquote", "code", "pre"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# A guide is a page of advice; longer input is a mistake (or an attack on the renderer's time).
MAX_MARKDOWN_CHARS = 50_000


def render(text: str) -> SafeString:
    """The safe HTML of Markdown `text` (the allow-list above), ready for a template."""
    html = markdown.markdown(text[:MAX_MARKDOWN_CHARS], extensions=["sane_lists"], output_format="html")
    cleaned = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=ALLOWED_SCHEMES,
                        link_rel="noopener noreferrer nofollow", strip_comments=True)
    return mark_safe(cleaned)  # noqa: S308 — sanitised by nh3 just above
