"""A story's Markdown as public HTML: core.markup's allow-list (rendered on the server, then
sanitised by nh3) widened by what a story needs, and the story shortcodes.

- Images, but only the site's own public photos (`![alt](/media/p/12/)`): an image from another
  site would tell that site who reads the story, and the Content-Security-Policy blocks it anyway.
  Any other image address is dropped (the image then shows nothing).
- `[[report:T-XXXX-XXXX]]` on a line of its own: a card of that report, built from the public
  report projection only. A report that is not public (never published, unpublished, restricted)
  gives nothing at all: no card, no title, no reference.
- Redaction: each phrase of the story's list is replaced by █████ in the Markdown before it is
  rendered (so also in link texts and image descriptions), and in the title and summary.
- Scripts, styles, frames, forms, event handlers and `javascript:`/`data:` links are removed, as
  for the guides (core.markup).
"""

from __future__ import annotations

import re
import secrets

import markdown
import nh3
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from testigo.core import markup

TAGS = markup.ALLOWED_TAGS | {"img"}
ATTRIBUTES = {**markup.ALLOWED_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}}
PUBLIC_IMAGE = re.compile(r"^/media/p/\d+/$")
SHORTCODE = re.compile(r"\[\[\s*report\s*:\s*([A-Za-z0-9-]{3,40})\s*\]\]")


REDACTED = "█████"


def redact(text: str, phrases: list[str]) -> str:
    """Each phrase (any case) replaced by █████, longest first so a name inside a longer one goes too."""
    for phrase in sorted((p.strip() for p in phrases or [] if p.strip()), key=len, reverse=True):
        text = re.sub(re.escape(phrase), REDACTED, text, flags=re.IGNORECASE)
    return text


def references(text: str) -> list[str]:
    """The report references a body's shortcodes name, in order, once each, upper case."""
    seen: list[str] = []
    for match in SHORTCODE.finditer(text or ""):
        ref = match.group(1).upper()
        if ref not in seen:
            seen.append(ref)
    return seen


def _attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not PUBLIC_IMAGE.match(value):
        return None
    if tag == "img" and attribute in ("width", "height") and not value.isdigit():
        return None
    return value


def clean(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=markup.ALLOWED_SCHEMES,
                     attribute_filter=_attribute, link_rel="noopener noreferrer nofollow", strip_comments=True)


def render(text: str, *, redactions: list[str], cards: dict[str, dict]) -> SafeString:
    """The story body as safe HTML. `cards`: reference → public report row (public projection
    only); a shortcode naming any other reference disappears."""
    source = redact((text or "")[:markup.MAX_MARKDOWN_CHARS], redactions)
    # Shortcodes become a token no writer can guess; after sanitising, each token is swapped for
    # the card (a template, autoescaped) or for nothing.
    nonce = secrets.token_hex(8)
    found: list[str] = []

    def token(match: re.Match) -> str:
        found.append(match.group(1).upper())
        return f"\n\nstorycard{nonce}x{len(found) - 1}\n\n"

    source = SHORTCODE.sub(token, source)
    html = clean(markdown.markdown(source, extensions=["sane_lists"], output_format="html"))

    def card(match: re.Match) -> str:
        row = cards.get(found[int(match.group(1))])
        return render_to_string("stories/_report_card.html", {"report": row}) if row else ""

    html = re.sub(rf"(?:<p>)?storycard{nonce}x(\d+)(?:</p>)?", card, html)
    return mark_safe(html)  # noqa: S308 — sanitised by nh3; cards are autoescaped templates
