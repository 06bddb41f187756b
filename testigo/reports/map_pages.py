"""What the public and the staff map pages share: the map's configuration for map.js and the
filters form's context (parsed from the query string; a bad value is shown, never a 500)."""

from __future__ import annotations

from django.conf import settings

from testigo.reports import filters, selectors


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
