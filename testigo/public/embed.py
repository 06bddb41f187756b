"""The embeddable map widget (issue #24): who may frame it, and the filters its address carries.

Only the widget may be framed by another site. Every other page keeps `X-Frame-Options: DENY` and
`frame-ancestors 'none'` (settings.py): a framed console or report form could be clickjacked. The
widget holds no form, no session and no cookie, and shows only what the public map shows (the
public clustering API, published public reports through the public selector), so framing it
exposes nothing a visitor of the site could not read.

Where it may be framed is TESTIGO_EMBED_ORIGINS: "*" (any site, the default), a list of origins
(the site itself is always added, for the "Embed this map" preview), or "none" (the widget is off:
a 404). A list cannot be said with X-Frame-Options (DENY or SAMEORIGIN only), so the widget sends
none and relies on CSP `frame-ancestors`, which every browser that frames pages reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.reports import filters as report_filters

ANY = "*"
OFF = "none"
SELF = "'self'"
# scheme://host[:port], a host possibly starting with a "*." wildcard (what frame-ancestors accepts).
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:\d{1,5})?$", re.IGNORECASE)
MAX_DAYS = 3660  # ten years: a "last N days" longer than that is a typing mistake
HEIGHTS = (300, 400, 480, 600, 800)  # the snippet generator's choices, in CSS pixels
DEFAULT_HEIGHT = 480


def frame_ancestors() -> list[str] | None:
    """The CSP frame-ancestors sources of the widget, or None when the widget is turned off.

    An entry that is not an origin is refused loudly (ImproperlyConfigured): a typo would otherwise
    leave a partner's site with a blank frame and nobody told why."""
    raw = (settings.EMBED_ORIGINS or ANY).strip()
    if raw.lower() == OFF:
        return None
    entries = [e.rstrip("/") for e in re.split(r"[\s,]+", raw) if e]
    if ANY in entries:
        return [ANY]
    bad = [e for e in entries if not ORIGIN.match(e)]
    if bad:
        raise ImproperlyConfigured(f"TESTIGO_EMBED_ORIGINS: not an origin (https://host[:port]): {', '.join(bad)}")
    return [SELF, *entries]


def frameable(response, ancestors: list[str]):
    """Let the listed sites frame this one response; every other response keeps the site's DENY."""
    response.xframe_options_exempt = True  # django.middleware.clickjacking reads this
    response._csp_replace = {"frame-ancestors": ancestors}  # read by csp.middleware (django-csp 4)
    return response


@dataclass(frozen=True)
class WidgetFilters:
    """What a widget's address may narrow the map to: the public map's own filters, by name."""

    categories: tuple[int, ...] = ()
    area: str = ""
    date_from: object = None
    date_to: object = None
    days: int | None = None

    def api_query(self) -> str:
        """The query string map.js adds to the public map API's requests (clusters, list, layers)."""
        pairs = []
        if self.categories:
            pairs.append(("category", ",".join(str(c) for c in self.categories)))
        if self.area:
            pairs.append(("admin1", self.area))
        if self.date_from:
            pairs.append(("date_from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("date_to", self.date_to.isoformat()))
        return urlencode(pairs)

    def widget_query(self, language: str = "", height: int | None = None) -> str:
        """The widget's own address query: a rolling period stays `days=N`, not frozen dates."""
        pairs = []
        if self.categories:
            pairs.append(("category", ",".join(str(c) for c in self.categories)))
        if self.area:
            pairs.append(("area", self.area))
        if self.days:
            pairs.append(("days", str(self.days)))
        else:
            pairs += [(k, v.isoformat()) for k, v in (("date_from", self.date_from), ("date_to", self.date_to)) if v]
        if language:
            pairs.append(("lang", language))
        return urlencode(pairs)


def parse_days(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_DAYS:
        raise report_filters.InvalidFilter(
            "days", _("The period must be a number of days from 1 to %(max)s.") % {"max": MAX_DAYS})
    return int(value)


def parse_widget_filters(params) -> WidgetFilters:
    """The widget's filters from its address: `category` (ids or slugs, comma-separated), `area`
    (a department, also as `admin1`), and a period: `days` (the last N days, rolling) or `date_from`
    / `date_to`. A bad value raises InvalidFilter with a translated message."""
    days = parse_days(params.get("days"))
    # The home page's filters form sends one `category` per ticked box; the widget's address one list.
    wanted = ",".join(params.getlist("category")) if hasattr(params, "getlist") else params.get("category")
    parsed = report_filters.parse_filters({
        "category": wanted, "admin1": params.get("area") or params.get("admin1"),
        "date_from": None if days else params.get("date_from"), "date_to": None if days else params.get("date_to")})
    categories = tuple(parsed.categories)
    if days:
        return WidgetFilters(categories, parsed.admin1, timezone.localdate() - timedelta(days=days - 1), None, days)
    return WidgetFilters(categories, parsed.admin1, parsed.date_from, parsed.date_to, None)


def language_of(params) -> str:
    """The widget's language: `lang=es|en` in its address, else the deployment's. Never a cookie:
    the widget is read on other sites, where the visitor's choice on this one is not theirs."""
    wanted = (params.get("lang") or "").strip().lower()
    return wanted if wanted in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
