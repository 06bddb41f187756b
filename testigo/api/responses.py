"""Response bodies, so the OpenAPI document describes what each operation answers and a generated
client parses it: reports (public and staff shapes), notes, map clusters, categories, layers, and
the one error body every 4xx carries (api/errors.py writes it).

A schema is also a filter: a key a handler returns that is not declared here never leaves, so a
field added to a row builder reaches callers only once it is declared (and reviewed) here.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field

# --- errors -----------------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(description="the field at fault, dotted for nested ones; empty for the whole input")
    message: str


class ParamDetail(Schema):
    param: str = Field(description="the query parameter at fault")


class Error(Schema):
    """Every 4xx: test `code` (stable); `message` is translated, for people."""

    code: str = Field(description="stable, e.g. invalid_bbox, invalid_body, invalid_input, invalid_token, forbidden, "
                                  "not_found")
    message: str
    detail: list[FieldError] | ParamDetail | None = Field(
        default=None, description="invalid_input: the fields at fault; a bad parameter (400): which one")


def with_errors(ok: dict, *statuses: int) -> dict:
    """A `response=` mapping: the success bodies plus `Error` for each error status that can occur.

    401 can occur everywhere (a bad or revoked token is refused, never downgraded to anonymous)."""
    return {**ok, **{status: Error for status in sorted({401, *statuses})}}


# --- reports ------------------------------------------------------------------------------------


class PublicReport(Schema):
    """A published report as the public sees it: redacted text, approximate location."""

    reference: str
    title: str
    description: str
    categories: list[str] = Field(description="category slugs")
    occurred_at: datetime | None
    published_at: datetime | None
    lat: float | None = Field(description="approximate (fuzzed) latitude")
    lon: float | None = Field(description="approximate (fuzzed) longitude")
    place_name: str
    admin1: str
    admin2: str
    source: str
    url: str = Field(description="the report's page on the public site")
    when: str = Field(description="the date a list shows, formatted for the request's language in the site's time zone: when it happened (the date alone if the time is unknown), else when it was published")


class Photo(Schema):
    id: int
    width: int | None
    height: int | None


class Recording(Schema):
    """A public voice note, audio or video: played from `url` (MP3 or MP4, byte ranges honoured)."""

    id: int
    kind: str = Field(description="audio or video")
    content_type: str
    duration_s: float | None
    width: int | None
    height: int | None
    url: str


class PublicReportDetail(PublicReport):
    photos: list[Photo]
    recordings: list[Recording] = Field(default_factory=list)


class StaffReport(Schema):
    """A report as staff see it. `reporter_name` and `reporter_contact` are present only for roles
    that may both export and see contacts."""

    reference: str
    title: str
    description: str
    status: str
    visibility: str
    categories: list[str] = Field(description="category slugs")
    occurred_at: datetime | None
    received_at: datetime | None
    updated_at: datetime | None
    published_at: datetime | None
    lat: float | None
    lon: float | None
    precision_m: int | None
    place_name: str
    admin1: str
    admin2: str
    source: str
    language: str
    merged_into: str | None = Field(description="reference of the report this one was merged into")
    reporter_name: str | None = None
    reporter_contact: str | None = None
    when: str = Field(description="the date a list shows, formatted for the request's language in the site's time zone: when it happened (the date alone if the time is unknown), else when it was received")


class StaffReportDetail(StaffReport):
    redactions: list[str] = Field(description="phrases hidden from the public text")


class StatusWarning(Schema):
    code: str = Field(description="e.g. no_location: published, but without a location it is not on the map")
    message: str = Field(description="in the request's language")


class StatusChanged(StaffReportDetail):
    warnings: list[StatusWarning] = Field(description="what is left for a person to fix; empty when nothing")


class ReportPage(Schema):
    items: list[StaffReport | PublicReport] = Field(description="staff rows for staff, public rows for the public")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class Submitted(Schema):
    reference: str
    status: str


class Note(Schema):
    id: int
    text: str
    author: str | None
    created_at: datetime


class NoteList(Schema):
    items: list[Note]


# --- map, categories, layers ----------------------------------------------------------------------


class Cluster(Schema):
    count: int
    lat: float
    lon: float
    bounds: list[float] = Field(description="the cell: west, south, east, north")


class MapPoint(Schema):
    """A single report on the map. `status` is present for staff only."""

    reference: str
    title: str
    categories: list[int] = Field(description="category ids")
    date: date | None
    lat: float | None
    lon: float | None
    url: str
    status: str | None = None
    when: str = Field(description="the date a list shows, formatted for the request's language in the site's time zone: when it happened (the date alone if the time is unknown), else when it was published (public) or received (staff)")


class Clusters(Schema):
    zoom: int
    total: int = Field(description="reports in the view: the clusters' counts plus the points")
    clusters: list[Cluster]
    points: list[MapPoint]


class AreaCount(Schema):
    name: str = Field(description="the department (admin1) or municipality (admin2)")
    admin1: str = Field(description="the department a municipality is in (its own name for a department)")
    count: int
    lat: float | None = Field(description="the area's centre in the gazetteer (mean of its towns), if known")
    lon: float | None


class AreaCounts(Schema):
    level: str
    total: int = Field(description="published reports with an area at this level")
    items: list[AreaCount]


class CategoryOut(Schema):
    id: int
    slug: str
    name: str = Field(description="in the request's language")
    name_es: str
    name_en: str
    parent: int | None
    colour: str
    icon: str


class CategoryList(Schema):
    items: list[CategoryOut]


class LayerSummary(Schema):
    id: int
    name: str
    colour: str
    visible_by_default: bool
    is_public: bool
    features: int
    url: str = Field(description="its shapes as GeoJSON")


class LayerList(Schema):
    items: list[LayerSummary]


class GazetteerPlace(Schema):
    """A place of the deployment's gazetteer (GeoNames towns and areas, and the places its
    administrators listed): nothing about any report."""

    name: str
    label: str = Field(description="the name with its town and department")
    kind: str = Field(description="colonia, barrio, aldea, town, municipality, department, landmark...")
    lat: float
    lon: float
    parent: str
    admin1: str
    country: str
    precision_m: int = Field(description="about how far the place reaches from its centre")


class PlaceList(Schema):
    items: list[GazetteerPlace]


# --- streamed and GeoJSON bodies (the handler writes them; documented here) ---------------------------

GEOJSON = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {"type": {"type": "string", "enum": ["Feature"]},
                           "geometry": {"anyOf": [{"type": "object"}, {"type": "null"}]},
                           "properties": {"type": "object"}},
        }},
    },
}


def body(media_type: str, schema: dict) -> dict:
    """openapi_extra declaring a 200 body the handler streams itself (not JSON)."""
    return {"responses": {200: {"description": "OK", "content": {media_type: {"schema": schema}}}}}


def file_body(media_type: str) -> dict:
    """openapi_extra for a streamed file of a type generic generators do not know (XLSX, KML):
    its own media type first, then application/octet-stream, which generated clients read as
    bytes (openapi-python-client skips an endpoint whose only type it cannot read)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {200: {"description": "OK", "content": {media_type: binary,
                                                                 "application/octet-stream": binary}}}}
# --- stories ------------------------------------------------------------------------------------


class PublicStory(Schema):
    """A published story as the public reads it (drafts and stories in review are never listed)."""

    slug: str
    language: str = Field(description="es or en: the language of the text given (the one asked for when the story "
                                      "is written in it, else the other)")
    title: str = Field(description="with the story's redactions applied")
    summary: str
    published_at: datetime | None
    updated_at: datetime | None
    tags: list[str] = Field(description="category slugs")
    url: str = Field(description="the story's page on the public site")


class StoryReport(Schema):
    """A linked report, from the public report projection only: a report not public now is left out."""

    reference: str
    title: str
    place_name: str
    lat: float | None = Field(description="approximate (fuzzed) latitude")
    lon: float | None = Field(description="approximate (fuzzed) longitude")
    url: str = Field(description="the report's page on the public site (also GET /reports/{reference})")


class PublicStoryDetail(PublicStory):
    fallback: bool = Field(description="true when the story is not written in the language asked for")
    byline: str
    html: str = Field(description="the body as sanitised HTML, with the cards of the public linked reports")
    reports: list[StoryReport] = Field(description="the linked reports that are public now, in the story's order")


class StoryPage(Schema):
    items: list[PublicStory] = Field(description="newest publication first")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
