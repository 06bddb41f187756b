"""The public home page: the map of published reports, with a server-rendered list and filters
form so it stays useful with JavaScript off."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from testigo.geo.models import Layer
from testigo.reports import exporters, filters, selectors

RECENT = 20


def map_config(*, staff: bool) -> dict:
    """What map.js needs, passed through data- attributes / a JSON script (CSP: no inline code)."""
    cats = [{"id": c.id, "name": c.name, "colour": c.colour, "parent": c.parent_id}
            for parent, children in selectors.category_tree() for c in [parent, *children]]
    return {"tileUrl": settings.TILE_URL, "attribution": settings.TILE_ATTRIBUTION,
            "center": settings.MAP_CENTER, "zoom": settings.MAP_ZOOM, "staff": staff, "categories": cats,
            "reportUrl": "/console/r/{ref}/" if staff else "/r/{ref}/"}


def filter_context(request) -> dict:
    """Parse the filters in the query string; a bad value is shown as an error, not a 500."""
    error = ""
    try:
        parsed = filters.parse_filters(request.GET)
    except filters.InvalidFilter as exc:
        parsed, error = filters.ReportFilters(), exc.message
    return {"filters": parsed, "filter_error": error, "category_tree": selectors.category_tree(),
            "selected_categories": set(parsed.categories)}


def home(request):
    ctx = filter_context(request)
    recent = list(exporters.public_rows_from(list(selectors.public_reports(ctx["filters"])[:RECENT])))
    ctx.update(recent=recent, map_config=map_config(staff=False),
               has_layers=Layer.objects.filter(is_public=True).exists())
    return render(request, "public/home.html", ctx)
