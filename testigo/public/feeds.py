"""Atom 1.0 feeds of published reports: all of them, one category (with its subcategories), one
alert zone (docs/feeds.md). Every entry comes through selectors.public_reports(), the one public
door: public title and description, fuzzed point, never a contact, a note or an exact location;
confidential and survivor-pathway reports are never published, so never here.

`PublicAtomFeed` is the reusable part (language, absolute links, escaped text, categories,
georss:point): a feed of stories subclasses it and gives `title`, `link` and `entries`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks
from django.utils.http import parse_http_date_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from shapely.geometry import Point, shape
from shapely.prepared import prep

from testigo.alerts.models import Zone
from testigo.core.context_processors import site_origin
from testigo.reports import selectors
from testigo.reports.models import Category

ENTRIES = 50
# A zone feed looks for its reports among this many of the newest published ones (their public
# points, read in the public order's index, stopping once it has ENTRIES): a request costs the
# same for a zone with no report as for one with many, however big the database.
ZONE_WINDOW = 20_000
# How long a reader or a proxy may reuse a feed without asking: readers poll every 15-60 minutes,
# and a report staff withdraw must leave every copy soon; five minutes bounds both.
FEED_MAX_AGE_S = 300


class GeoAtom1Feed(Atom1Feed):
    """Atom 1.0 with a GeoRSS-Simple point per entry (the PUBLIC, fuzzed point only)."""

    def root_attributes(self):
        return {**super().root_attributes(), "xmlns:georss": "http://www.georss.org/georss"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("georss_point"):
            handler.addQuickElement("georss:point", item["georss_point"])


@dataclass
class Subject:
    """What one request's feed is about; carries the request so links can be absolute."""

    request: object
    origin: str
    category: Category | None = None
    zone: Zone | None = None


def conditional(request, response):
    """HTTP caching for a feed (docs/feeds.md): an ETag that is a digest of the feed as sent (so it
    changes with any entry, edit, withdrawal or language), the Last-Modified Django sets from the
    newest entry, a short public max-age, and 304 Not Modified when the reader's copy is current.
    The feed is still built to compare: it reads 50 rows from an index, and the 304 saves the
    transfer, which is what readers polling every few minutes cost."""
    if response.status_code != 200:
        return response
    response["ETag"] = '"%s"' % hashlib.sha256(response.content).hexdigest()[:32]
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE_S)
    last_modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return get_conditional_response(request, etag=response["ETag"], last_modified=last_modified, response=response)


class PublicAtomFeed(Feed):
    feed_type = GeoAtom1Feed

    def __call__(self, request, *args, **kwargs):
        # Feed readers send no language cookie: ?lang=en asks for English, else the page language.
        lang = request.GET.get("lang", "")
        if lang in dict(settings.LANGUAGES):
            with translation.override(lang):
                return conditional(request, super().__call__(request, *args, **kwargs))
        return conditional(request, super().__call__(request, *args, **kwargs))

    def get_object(self, request, *args, **kwargs) -> Subject:
        return Subject(request=request, origin=site_origin(request))

    # The feed ------------------------------------------------------------------------------
    def feed_url(self, subject: Subject) -> str:
        return subject.origin + subject.request.path

    def feed_guid(self, subject: Subject) -> str:
        # Stable whatever the language or query: the feed's own address without its query.
        return self.feed_url(subject)

    def author_name(self, subject: Subject) -> str:
        return settings.SITE_NAME

    # Entries: dicts with public fields only ----------------------------------------------
    def items(self, subject: Subject) -> list[dict]:
        rows = self.entries(subject)
        categories = selectors.public_categories([row["id"] for row in rows])
        return [{**row, "categories": categories.get(row["id"], []), "origin": subject.origin} for row in rows]

    def entries(self, subject: Subject) -> list[dict]:
        raise NotImplementedError

    def item_title(self, item: dict) -> str:
        return item["public_title"]

    def item_description(self, item: dict) -> str:
        # Atom's summary is type="html": the public text is escaped, so it is shown as written.
        return linebreaks(escape(item["public_description"]))

    def item_link(self, item: dict) -> str:
        return item["origin"] + reverse("public:report_detail", args=[item["reference"]])

    def item_guid(self, item: dict) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: dict):
        return item["published_at"]

    def item_updateddate(self, item: dict):
        return item["published_at"]

    def item_categories(self, item: dict) -> list[str]:
        return [category.name for category in item["categories"]]

    def item_extra_kwargs(self, item: dict) -> dict:
        if item["public_lat"] is None or item["public_lon"] is None:
            return {}
        return {"georss_point": f"{item['public_lat']:.5f} {item['public_lon']:.5f}"}


class ReportsFeed(PublicAtomFeed):
    """The newest published reports."""

    def title(self, subject: Subject) -> str:
        return _("%(site)s: published reports") % {"site": settings.SITE_NAME}

    def subtitle(self, subject: Subject) -> str:
        return _("The latest reports published on %(site)s.") % {"site": settings.SITE_NAME}

    def link(self, subject: Subject) -> str:
        return subject.origin + reverse("public:report_list")

    def filters(self, subject: Subject) -> selectors.ReportFilters:
        return selectors.ReportFilters()

    def entries(self, subject: Subject) -> list[dict]:
        # The public order's index with a LIMIT (paged=True), as the public list reads a page.
        return selectors.public_rows(selectors.public_reports(self.filters(subject), paged=True), 0, ENTRIES)


class CategoryReportsFeed(ReportsFeed):
    """Published reports of one category and its subcategories."""

    def get_object(self, request, slug: str) -> Subject:
        category = Category.objects.filter(slug=slug, is_active=True).select_related("parent").first()
        if category is None or category.is_sensitive:
            raise Http404
        return Subject(request=request, origin=site_origin(request), category=category)

    def title(self, subject: Subject) -> str:
        return _("%(site)s: reports in %(category)s") % {"site": settings.SITE_NAME, "category": subject.category.name}

    def subtitle(self, subject: Subject) -> str:
        return _("The latest published reports in the category %(category)s.") % {"category": subject.category.name}

    def link(self, subject: Subject) -> str:
        return subject.origin + reverse("public:report_list") + f"?category={subject.category.pk}"

    def filters(self, subject: Subject) -> selectors.ReportFilters:
        return selectors.ReportFilters(categories=[subject.category.pk])


def find_zone(key: str) -> Zone | None:
    """An active zone by its number or by its name as a slug (`colonia-kennedy`)."""
    zones = Zone.objects.filter(is_active=True)
    if key.isdigit():
        return zones.filter(pk=int(key)).first()
    wanted = slugify(key)
    return next((z for z in zones.only("id", "key", "name_es", "name_en") if slugify(z.key) == wanted), None)


class ZoneReportsFeed(ReportsFeed):
    """Published reports whose PUBLIC (fuzzed) point lies in an alert zone."""

    def get_object(self, request, zone: str) -> Subject:
        found = find_zone(zone)
        if found is None:
            raise Http404
        return Subject(request=request, origin=site_origin(request), zone=Zone.objects.get(pk=found.pk))

    def title(self, subject: Subject) -> str:
        return _("%(site)s: reports in %(zone)s") % {"site": settings.SITE_NAME, "zone": subject.zone.name}

    def subtitle(self, subject: Subject) -> str:
        return _("The latest published reports in the zone %(zone)s.") % {"zone": subject.zone.name}

    def entries(self, subject: Subject) -> list[dict]:
        area = shape(subject.zone.geometry)
        if area.is_empty:
            return []
        west, south, east, north = area.bounds
        inside = prep(area)
        # Through the one public door: public_reports() and its fuzzed point, never the exact one.
        points = selectors.public_reports(paged=True).values_list("id", "public_lat", "public_lon")[:ZONE_WINDOW]
        ids: list[int] = []
        for report_id, lat, lon in points.iterator(chunk_size=1000):
            if (lat is not None and lon is not None and south <= lat <= north and west <= lon <= east
                    and inside.covers(Point(lon, lat))):
                ids.append(report_id)
                if len(ids) == ENTRIES:
                    break
        return list(selectors.public_reports().filter(id__in=ids)) if ids else []
