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

import hashlib
import re
import secrets
from collections import OrderedDict
from functools import lru_cache

import markdown
import nh3
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from testigo.core import dates, markup

TAGS = markup.ALLOWED_TAGS | {"img"}
ATTRIBUTES = {**markup.ALLOWED_ATTRIBUTES, "img": {"src", "alt", "title", "width", "height"}}
PUBLIC_IMAGE = re.compile(r"^/media/p/\d+/$")
CARD_WORDS = 40
SHORTCODE = re.compile(r"\[\[\s*report\s*:\s*([A-Za-z0-9-]{3,40})\s*\]\]")


REDACTED = "█████"


def redact(text: str, phrases: list[str]) -> str:
    """Each phrase (any case) replaced by █████, longest first so a name inside a longer one goes too."""
    if not text or not phrases:
        return text
    pattern = _phrases(tuple(phrases))
    return pattern.sub(REDACTED, text) if pattern else text


@lru_cache(maxsize=256)
def _phrases(phrases: tuple[str, ...]) -> re.Pattern | None:
    """One pattern for a story's list (compiled once, not sorted and searched phrase by phrase for
    each of a hundred report rows: that was a fifth of a story page's time, bench_stories): the
    phrases longest first, so at any place the longest one that matches is the one replaced."""
    cleaned = sorted({p.strip() for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
    return re.compile("|".join(re.escape(p) for p in cleaned), re.IGNORECASE) if cleaned else None


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


# Rendering Markdown costs up to ~0.1 s for the longest text; the sanitised HTML of a text (cards
# still as tokens) is kept in a small per-process LRU keyed by the text's hash, so a story is
# rendered once per edit, not once per visit. The token's nonce is random per process and never
# leaves the server (every token is replaced by a card or by nothing), so no text can forge one.
_NONCE = secrets.token_hex(8)
_TOKEN = re.compile(rf"(?:<p>)?storycard{_NONCE}x(\d+)(?:</p>)?")
_CACHE: OrderedDict[str, tuple[str, list[str]]] = OrderedDict()
CACHE_SIZE = 256


def _sanitised(text: str, redactions: list[str]) -> tuple[str, list[str]]:
    """The sanitised HTML of `text` with the phrases redacted and card tokens, and the references
    the tokens stand for."""
    key = hashlib.sha256("\0".join([text, *redactions]).encode()).hexdigest()
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    source = redact(text, redactions)
    found: list[str] = []

    def token(match: re.Match) -> str:
        found.append(match.group(1).upper())
        return f"\n\nstorycard{_NONCE}x{len(found) - 1}\n\n"

    html = clean(markdown.markdown(SHORTCODE.sub(token, source), extensions=["sane_lists"], output_format="html"))
    _CACHE[key] = (html, found)
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return html, found


CARD_FIELDS = ("reference", "url", "public_title", "public_description", "occurred_at", "occurred_time_known",
               "place_name")


def card_html(report: dict) -> str:
    """A report's card from its public row: reference, date, title, the start of the public
    description, place; every value escaped. (Python rather than a template: a story with a
    hundred cards rendered them in 60 ms through the template engine. Kept per process by
    language and content: a card changes when its report's public row changes.)"""
    url = report.get("url") or reverse("public:report_detail", args=[report["reference"]])
    media = tuple(tuple(sorted(m.items())) for m in report.get("recordings") or ())
    return _card((get_language() or "", media, *(url if f == "url" else report.get(f) for f in CARD_FIELDS)))


@lru_cache(maxsize=4096)
def _card(key: tuple) -> str:
    report = dict(zip(CARD_FIELDS, key[2:], strict=True))
    link = report["url"]
    when = ""
    if report["occurred_at"]:
        when = format_html(' · <time datetime="{}">{}</time>', dates.occurred_iso(report), dates.show_occurred(report))
    place = format_html('<p class="meta">{}</p>', report["place_name"]) if report["place_name"] else ""
    # The report's public recordings and videos, played as on its own page (same template, public URLs).
    media = mark_safe("".join(  # noqa: S308 — a template with autoescaping
        render_to_string("reports/playable_media.html", {"item": dict(m), "public": True}) for m in key[1]))
    return format_html(
        '<aside class="story-card"><p class="meta">{} · <a href="{}">{}</a>{}</p>\n<h3><a href="{}">{}</a></h3>\n'
        "<p>{}</p>{}{}</aside>\n",
        _("Published report"), link, report["reference"], when, link, report["public_title"],
        Truncator(report["public_description"] or "").words(CARD_WORDS), place, media)


def list_item_html(report: dict) -> str:
    """A report's line in the story's list of reports, escaped (in Python, as the cards: the
    template's loop over a hundred reports was a third of a story page's time, bench_stories)."""
    return _list_item(report["url"], report["public_title"], report["reference"], report["place_name"] or "")


@lru_cache(maxsize=4096)
def _list_item(url: str, title: str, reference: str, place: str) -> str:
    where = format_html(" · {}", place) if place else ""
    return format_html('<li><a href="{}">{}</a> <span class="meta">{}{}</span></li>', url, title, reference, where)


def render(text: str, *, redactions: list[str], cards: dict[str, dict]) -> SafeString:
    """The story body as safe HTML. `cards`: reference → public report row (public projection
    only); a shortcode naming any other reference disappears."""
    html, found = _sanitised((text or "")[:markup.MAX_MARKDOWN_CHARS], list(redactions or []))

    def card(match: re.Match) -> str:
        row = cards.get(found[int(match.group(1))])
        return card_html(row) if row else ""

    return mark_safe(_TOKEN.sub(card, html))  # noqa: S308 — sanitised by nh3; cards are autoescaped templates
