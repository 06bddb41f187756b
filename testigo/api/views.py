"""The self-hosted API docs page (no CDN): endpoints listed from the OpenAPI schema."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.api.api import api

# What the page people read says each endpoint does, in their language. The OpenAPI JSON keeps the
# English summaries of the operations; an endpoint missing here shows its summary.
DESCRIPTIONS = {
    ("GET", "/api/v1/reports"): _("List reports, a page at a time (the answer gives the cursor of the next page)"),
    ("POST", "/api/v1/reports"): _("Send a new report (anyone, like the public form)"),
    ("GET", "/api/v1/reports/{reference}"): _("One report, by its reference"),
    ("PATCH", "/api/v1/reports/{reference}"): _("Edit a report (staff, token with write access)"),
    ("POST", "/api/v1/reports/{reference}/status"): _("Change a report's status (staff, token with write access)"),
    ("GET", "/api/v1/reports/{reference}/notes"): _("A report's staff notes (staff)"),
    ("POST", "/api/v1/reports/{reference}/notes"): _("Add a note to a report (staff, token with write access)"),
    ("GET", "/api/v1/reports.geojson"): _("Reports as GeoJSON, for GIS software"),
    ("GET", "/api/v1/reports.csv"): _("Reports as a spreadsheet (CSV)"),
    ("GET", "/api/v1/reports.xlsx"): _("Reports as an Excel workbook (XLSX)"),
    ("GET", "/api/v1/reports.kml"): _("Reports as map placemarks (KML), coloured by category"),
    ("GET", "/api/v1/reports.hxl.csv"): _("Reports as a spreadsheet with HXL tags (CSV), for humanitarian data tools"),
    ("GET", "/api/v1/map/clusters"): _("Groups of reports and single reports within a map area"),
    ("GET", "/api/v1/map/areas"): _("Published reports counted per department or municipality"),
    ("GET", "/api/v1/map/areas.geojson"): _("Reports counted per area, with the areas' shapes (a choropleth map)"),
    ("GET", "/api/v1/categories"): _("The active categories"),
    ("GET", "/api/v1/layers"): _("The map layers (without their shapes)"),
    ("GET", "/api/v1/places"): _("Places whose name starts with the words given (the gazetteer: towns, colonias…)"),
    ("GET", "/api/v1/layers/{layer_id}.geojson"): _("One map layer's shapes as GeoJSON"),
    ("GET", "/api/v1/stories"): _("Published stories, a page at a time (newest first)"),
    ("GET", "/api/v1/stories/{slug}"): _("One published story, with its public linked reports"),
}


def _described(endpoints: list[dict]) -> list[dict]:
    for endpoint in endpoints:
        endpoint["summary"] = DESCRIPTIONS.get((endpoint["method"], endpoint["path"]), endpoint["summary"])
    return endpoints


def _answer(status, response: dict) -> str:
    """`200 ReportPage`, `404 Error`, `200 text/csv`: a status and the body it carries."""
    for media_type, content in response.get("content", {}).items():
        ref = content.get("schema", {}).get("$ref", "")
        return f"{status} {ref.rsplit('/', 1)[-1] if ref else media_type}"
    return str(status)


def docs_view(request):
    # The OpenAPI JSON keeps the English summaries (gettext_noop in the routers); this page, read
    # by people, shows them in the page's language.
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    endpoints = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            summary = op.get("summary")
            endpoints.append({"method": method.upper(), "path": path, "summary": gettext(summary) if summary else "",
                              "params": [p["name"] for p in op.get("parameters", []) if p.get("in") == "query"],
                              "answers": [_answer(status, response) for status, response in op["responses"].items()],
                              "tags": op.get("tags", [])})
    return render(request, "api/docs.html", {"endpoints": _described(endpoints), "info": schema["info"]})
