"""Situation reports (issue #24): one printable page for a period and an area — headline numbers,
charts, a map of the period's published reports and its notable published reports and stories —
in Spanish or English, and the same page as a PDF printed by headless Chromium.

The numbers are the dashboard's (reports/dashboard.py: what the viewer may see). The map, the list
of notable reports and the stories are PUBLIC only: published, public reports through the public
projection (reports.selectors.public_values, fuzzed points, redacted text) and published stories,
so a situation report may be handed out without leaking a confidential report or a reporter.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django import forms
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.core import charts
from testigo.core.access import staff_required
from testigo.geo import basemaps, svgmap
from testigo.geo.models import Layer
from testigo.geo.topojson import topojson_to_geojson
from testigo.reports import dashboard, selectors
from testigo.reports.models import Report

# The period's published stories, from the stories app (a level above the console):
# callable(start=, stop=, language=, limit=) -> [{"title", "summary", "published_at", "url"}].
PUBLISHED_STORIES: dict = {}

NOTABLE = 10
MAP_POINTS = 300  # the map's newest published reports of the period; more would be a blot on A4
PDF_TIMEOUT_S = 60
MAX_LAYER_VERTICES = 200_000  # a layer's polygons drawn under the map's points; a bigger one is cut short
LANGUAGES = (("es", "Español"), ("en", "English"))


class SituationReportForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.CharField(label=gettext_lazy("Department / state"), required=False, max_length=100)
    lang = forms.ChoiceField(label=gettext_lazy("Language"), required=False, choices=LANGUAGES)

    def __init__(self, data=None, **kwargs):
        # The brief's short names (?from=&to=) are accepted as well as the dashboard's.
        if data is not None:
            data = data.copy()
            for short, long in (("from", "date_from"), ("to", "date_to")):
                if data.get(short) and not data.get(long):
                    data[long] = data[short]
        super().__init__(data, **kwargs)

    def values(self) -> tuple[dashboard.Period, str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        period = dashboard.period_of(data.get("date_from"), data.get("date_to"))
        return period, (data.get("area") or "").strip(), data.get("lang") or ""


@functools.lru_cache(maxsize=1)
def country_outline() -> list:
    """The borders of the vendored world-atlas region (Natural Earth 1:50m, the Americas around the
    deployment) as rings of [lon, lat]: drawn under the map's points, read once per process."""
    path = Path(__file__).resolve().parent.parent / "static" / basemaps.WORLD_ATLAS / "region-50m.json"
    try:
        collection = topojson_to_geojson(json.loads(path.read_text(encoding="utf-8")), max_points=500_000)
    except (OSError, ValueError, ValidationError):
        return []
    return _rings(collection, outer_only=True)


def _rings(collection: dict, *, outer_only: bool = False, budget: int = 10**6) -> list:
    """The polygon rings of a GeoJSON FeatureCollection, at most `budget` vertices in all."""
    rings = []
    for feature in (collection or {}).get("features") or []:
        geometry = (feature or {}).get("geometry") or {}
        polygons = ([geometry.get("coordinates")] if geometry.get("type") == "Polygon" else
                    geometry.get("coordinates") if geometry.get("type") == "MultiPolygon" else None) or []
        for polygon in polygons:
            for ring in (polygon[:1] if outer_only else polygon):
                if not isinstance(ring, list) or len(ring) < 3:
                    continue
                budget -= len(ring)
                if budget < 0:
                    return rings
                rings.append([pair[:2] for pair in ring if isinstance(pair, list) and len(pair) >= 2])
    return rings


def zone_overlays() -> list[tuple[str, list]]:
    """The deployment's PUBLIC map layers shown by default (districts, zones...) as (colour, rings):
    only their polygons, at most MAX_LAYER_VERTICES vertices per layer."""
    overlays = []
    for layer in Layer.objects.filter(is_public=True, visible_by_default=True).only("geojson", "colour"):
        rings = _rings(layer.geojson, budget=MAX_LAYER_VERTICES)
        if rings:
            overlays.append((layer.colour, rings))
    return overlays


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _published_in(period: dashboard.Period, area: str):
    """Published, public reports published in the period (and area), public columns only, newest first."""
    start, stop = dashboard.bounds(period)
    qs = selectors.public_base().filter(published_at__gte=start, published_at__lt=stop)
    if area:
        qs = qs.filter(admin1=area)
    return selectors.public_values(qs.order_by(*selectors.PUBLIC_ORDER))


def _context(user, form: SituationReportForm, language: str) -> dict:
    period, area, _lang = form.values()
    qs = dashboard.reports_in(user, selectors.ReportFilters(), period, area)
    keys, per_status = dashboard.over_time(qs, period)
    total = sum(sum(counts) for counts in per_status.values())
    sources, areas = dashboard.by_source_and_area(qs)
    categories = dashboard.by_category(qs)
    published = _published_in(period, area)
    published_count = published.count()
    desc = _("From %(start)s to %(end)s.") % {"start": period.start.isoformat(), "end": period.end.isoformat()}
    statuses = [(value, str(label)) for value, label in Report.Status.choices]
    series = [charts.Series(label, per_status[value], dashboard.STATUS_COLOURS.get(value, ""))
              for value, label in statuses if sum(per_status[value])]
    figures = []
    if total:
        figures.append((_("Reports received over time, by status"),
                        charts.columns([k.isoformat() for k in keys], series, ident="sr-time",
                                       title=_("Reports received over time, by status"), desc=desc)))
        if categories:
            figures.append((_("Reports by category"), charts.bars(categories[:10], ident="sr-category",
                                                                  title=_("Reports by category"), desc=desc)))
        figures.append((_("Top areas"), charts.bars(areas, ident="sr-area", title=_("Top areas"), desc=desc)))
    address = reverse("public:report_detail", args=["REFERENCE"])
    points = [dict(row, number=i + 1, title=row["public_title"], url=address.replace("REFERENCE", row["reference"]))
              for i, row in enumerate(published[:MAP_POINTS])]
    start, stop = dashboard.bounds(period)
    published_stories = PUBLISHED_STORIES.get("stories")  # filled by StoriesConfig.ready (stories sit above)
    stories = published_stories(start=start, stop=stop, language=language, limit=NOTABLE) if published_stories else []
    return {
        "form": form, "period": period, "area": area, "language": language,
        "headline": [
            (_("Reports received"), total),
            (_("Verified"), sum(per_status.get(Report.Status.VERIFIED, []))),
            (_("Reports published in the period"), published_count),
            (_("Channels"), len(sources)),
        ],
        "figures": figures,
        "map_svg": svgmap.svg(points, label=_("Map of the approximate places of the period's published reports"),
                              outline=country_outline(), overlays=zone_overlays()),
        "map_count": len(points), "published_count": published_count,
        "notable": points[:NOTABLE], "stories": stories,
        "chromium": bool(chromium()),
    }


def _language(request, form: SituationReportForm) -> str:
    _period, _area, lang = form.values()
    return lang or ("en" if (translation.get_language() or "").startswith("en") else "es")


@staff_required()
def situation_report(request):
    form = SituationReportForm(request.GET or None)
    language = _language(request, form)
    with translation.override(language):
        context = _context(request.user, form, language)
        query = request.GET.copy()
        query["lang"] = language
        context["pdf_url"] = reverse("console:situation_report_pdf") + "?" + query.urlencode()
        return render(request, "console/situation_report.html", context)


def html_to_pdf(html: str) -> bytes | None:
    """The page printed to PDF by headless Chromium from a local file (the page needs nothing
    else: its CSS, charts and map are inline). None when Chromium is absent or fails in time."""
    binary = chromium()
    if not binary:
        return None
    with tempfile.TemporaryDirectory(prefix="testigo-sitrep-") as folder:
        page, out = os.path.join(folder, "report.html"), os.path.join(folder, "report.pdf")
        with open(page, "w", encoding="utf-8") as f:
            f.write(html)
        command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   f"--user-data-dir={os.path.join(folder, 'profile')}", "--no-pdf-header-footer",
                   f"--print-to-pdf={out}", "file://" + page]
        try:
            subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT_S, check=False)  # noqa: S603
        except (subprocess.TimeoutExpired, OSError):
            return None
        if not os.path.exists(out):
            return None
        with open(out, "rb") as f:
            data = f.read()
    return data if data.startswith(b"%PDF") else None


def _printed_css() -> str:
    """The page's stylesheet, inlined for the PDF (Chromium prints a local file that loads nothing)."""
    with open(finders.find("testigo/sitrep.css"), encoding="utf-8") as f:
        return f.read()


@staff_required()
def situation_report_pdf(request):
    form = SituationReportForm(request.GET or None)
    language = _language(request, form)
    with translation.override(language):
        context = _context(request.user, form, language)
        context["for_pdf"] = True
        context["sitrep_css"] = _printed_css()
        for item in context["notable"] + context["stories"]:  # a PDF's links must name the site
            item["url"] = request.build_absolute_uri(item["url"])
        html = render_to_string("console/situation_report.html", context, request=request)
        pdf = html_to_pdf(html)
        if pdf is None:
            message = (_("The PDF could not be made: Chromium is not installed on this server. "
                         "Print the page from your browser instead.") if not context["chromium"] else
                       _("The PDF could not be made in time. Try a shorter period, or print the page from your "
                         "browser instead."))
            return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    period = context["period"]
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="situation-report-{period.start.isoformat()}-'
                                       f'{period.end.isoformat()}.pdf"')
    return response
