"""Turning one spreadsheet row into report data, following a column mapping.

A mapping (JSON, also what `testigo import --mapping` reads):

    {"columns": {"Fecha": "occurred_at", "Lat": "lat", "Lon": "lon", "Tipo": "category",
                 "Edad": "field:edad"},
     "survey": "incidentes",             # form id of the survey whose fields get values (optional)
     "date_formats": ["%d/%m/%Y"],       # tried before the built-in list (optional)
     "date_order": "dmy",                # or "mdy": how 03/04/2010 is read (dateorder.py decides it)
     "defaults": {"title": "Registro en papel"},   # value used when a cell is empty (optional)
     "unknown_categories": "reject",     # or "keep": names kept in the answers, row accepted
     "bbox": [13, -89.5, 16.5, -83]}     # lat/lon box: swapped coordinates are put back (optional)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.reports.models import Category, Report, text_limit
from testigo.surveys import answers, dateorder, fieldtypes, ushahidi

REPORT_TARGETS = ["title", "description", "occurred_at", "lat", "lon", "latlon", "place_name", "admin1",
                  "admin2", "category", "reporter_name", "reporter_contact", "external_id", "status",
                  "approved", "verified", "media"]
# What each target is called on the mapping page (translated; the codes are stored in the mapping).
TARGET_LABELS = {
    "title": gettext_lazy("Title"), "description": gettext_lazy("Description"),
    "occurred_at": gettext_lazy("Date and time of the event"), "lat": gettext_lazy("Latitude"),
    "lon": gettext_lazy("Longitude"), "latlon": gettext_lazy("Latitude and longitude (one column)"),
    "place_name": gettext_lazy("Place name"), "admin1": gettext_lazy("Department"),
    "admin2": gettext_lazy("Municipality"), "category": gettext_lazy("Category"),
    "reporter_name": gettext_lazy("Reporter's name"), "reporter_contact": gettext_lazy("Reporter's contact"),
    "external_id": gettext_lazy("Identifier in the original system"),
    "status": gettext_lazy("Status (published, draft, archived…)"),
    "approved": gettext_lazy("Approved (YES/NO, Ushahidi 2)"), "verified": gettext_lazy("Verified (YES/NO, Ushahidi 2)"),
    "media": gettext_lazy("Links to photos or other media"),
}
JOINED = {"media": " ", "category": ", ", "reporter_name": " "}  # targets several columns may fill at once, and their separator
MEDIA_KEY = "ushahidi_media"  # custom value holding the media links of an Ushahidi post (shown to staff)
TITLE_CHARS = 80  # a title made from the description: its first line, cut like the channels' titles
# Year-first forms fromisoformat does not take; "03/04/2010" shapes are read by dateorder.read,
# in the order the mapping decided ("date_order"), never in an order assumed here.
DATE_FORMATS = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d %H:%M", "%Y.%m.%d"]
EXTRA_KEY = "_import_extra"  # unmapped columns kept with the report: nothing is lost
# Text fields a row fills, cut to the model's own limits (the bulk writer skips full_clean).
LIMITED = ("title", "description", "place_name", "admin1", "admin2", "reporter_name", "reporter_contact")


class RowError(ValueError):
    """Why a row was rejected (translated)."""


@dataclass
class Prepared:
    """A mapping resolved against the file's header and the database, once per import."""

    header: list[str]
    targets: dict[int, str]  # column index -> target
    defaults: dict[str, str]
    date_formats: list[str]
    survey: Any = None
    fields: dict[str, dict] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    keep_unknown_categories: bool = False
    bbox: list[float] | None = None
    ushahidi: bool = False  # an Ushahidi export: HTML entities decoded, categories split on commas only
    may_publish: bool = True  # False: a row published in the source arrives verified (the importer cannot publish)
    update_by_external_id: bool = False  # a row whose external id an earlier import stored updates that report
    id_scope: str = "import"  # whose ids those are ("ushahidi"): two systems' ids never meet
    date_order: str | None = None  # "dmy" / "mdy" (dateorder.settle), None: only unambiguous dates read
    utc_targets: frozenset[str] = frozenset()  # targets whose column header says "(UTC)"
    # cell text -> (categories, unknown names): what _categories read from each distinct cell
    category_cells: dict[str, tuple[list[Category], list[str]]] = field(default_factory=dict, repr=False)

    def read_date(self, target: str, text: str) -> datetime:
        """A date cell of this target's column: in the mapping's order and the column's zone."""
        return parse_datetime(text, self.date_formats, self.date_order,
                              UTC if target in self.utc_targets else None)


@functools.lru_cache(maxsize=4096)
def norm(text: str) -> str:
    """A header or category name as matched: case, surrounding and repeated spaces ignored."""
    return re.sub(r"\s+", " ", text.strip().casefold())


def prepare(mapping: dict, header: list[str]) -> Prepared:
    """Check a mapping against a header; raises RowError naming what does not fit."""
    from testigo.surveys.models import Survey

    survey = None
    if mapping.get("survey"):
        survey = Survey.objects.filter(form_id=str(mapping["survey"])).first() or (
            Survey.objects.filter(pk=mapping["survey"]).first() if str(mapping["survey"]).isdigit() else None)
        if survey is None:
            raise RowError(_("The survey “%(id)s” does not exist.") % {"id": mapping["survey"]})
    fields = {f["name"]: f for f in (survey.fields if survey else []) if fieldtypes.stores_value(f)}
    positions: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        positions.setdefault(norm(h), []).append(i)
    targets = {}
    for column, target in (mapping.get("columns") or {}).items():
        if not target:
            continue
        if target not in REPORT_TARGETS and not (target.startswith("field:") and target[6:] in fields):
            raise RowError(_("Unknown destination “%(target)s” for column “%(column)s”.")
                           % {"target": target, "column": column})
        if norm(column) not in positions:
            raise RowError(_("The file has no column “%(column)s”.") % {"column": column})
        # Columns sharing a name all go there: Ushahidi labels each survey's tags field "Categories".
        targets.update(dict.fromkeys(positions[norm(column)], target))
    categories = {}
    for category in Category.objects.all():
        for key in (category.slug, category.name_es, category.name_en):
            categories.setdefault(norm(key), category)
    return Prepared(header=header, targets=targets, defaults=mapping.get("defaults") or {},
                    survey=survey, fields=fields, categories=categories, bbox=mapping.get("bbox"),
                    keep_unknown_categories=mapping.get("unknown_categories") in ("keep", "create"),
                    ushahidi=mapping.get("preset") == "ushahidi",
                    update_by_external_id=mapping.get("update_by") == "external_id",
                    id_scope=str(mapping.get("id_scope") or mapping.get("preset") or "import"),
                    **_date_options(mapping, header, targets))


def _date_options(mapping: dict, header: list[str], targets: dict[int, str]) -> dict:
    order = mapping.get("date_order") or None
    if order not in (None, "dmy", "mdy"):
        raise RowError(_("Unknown date order “%(order)s” (use dmy or mdy).") % {"order": order})
    # Ushahidi's "Post Date (UTC)", "Created (UTC)": the column says its zone, the site's zone is not it.
    utc = frozenset(target for index, target in targets.items() if "(utc)" in header[index].casefold())
    return {"date_formats": list(mapping.get("date_formats") or []) + DATE_FORMATS, "date_order": order,
            "utc_targets": utc}


def parse_datetime(text: str, formats: list[str], order: str | None = None, zone=None) -> datetime:
    """A date cell as an aware datetime: the mapping's own formats first, then day/month shapes in
    the decided `order` (without one, only a value that reads one way), then ISO and year-first
    forms. A value naming its zone (Z, +02:00) keeps it; else `zone`, else the site's zone."""
    text = text.strip()
    parsed = None
    for fmt in formats:
        if fmt == DATE_FORMATS[0]:
            break  # the mapping's own formats come before the built-in list
        try:
            parsed = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if parsed is None and (shape := dateorder.parts(text)):
        try:
            parsed = dateorder.read(text, order, shape)
        except dateorder.Ambiguous:
            raise RowError(_("“%(value)s” can be read as day/month/year or as month/day/year: choose the "
                             "order of the dates on the mapping page.") % {"value": text}) from None
        if parsed is None and order:  # e.g. 13/25/2010 in a day-first file
            raise RowError(_("“%(value)s” is not a date in the order %(order)s.")
                           % {"value": text, "order": dateorder.ORDERS[order]})
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for fmt in formats:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
    if parsed is None:
        raise RowError(_("“%(value)s” is not a date this import understands.") % {"value": text})
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone or _local_zone())


@functools.lru_cache(maxsize=1)
def _local_zone():
    # zoneinfo zones take replace(tzinfo=) correctly (what make_aware does), and looking the
    # current zone up once per row costs more than parsing the date.
    return timezone.get_default_timezone()


def parse_number(text: str) -> float:
    text = text.strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # decimal comma
    return float(text)


def fix_location(lat: float, lon: float, bbox: list[float] | None) -> tuple[float, float]:
    """Put swapped coordinates back when that is the only reading that makes sense."""
    inside = (lambda a, o: bbox[0] <= a <= bbox[2] and bbox[1] <= o <= bbox[3]) if bbox else None
    if abs(lat) > 90 and abs(lon) <= 90:
        lat, lon = lon, lat
    elif inside and not inside(lat, lon) and inside(lon, lat):
        lat, lon = lon, lat
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RowError(_("The coordinates %(lat)s, %(lon)s are out of range.") % {"lat": lat, "lon": lon})
    return lat, lon


def convert(prepared: Prepared, cells: list[str]) -> dict:
    """Keyword arguments for a report from one row; raises RowError with the reason."""
    if len(cells) > len(prepared.header) and any(c.strip() for c in cells[len(prepared.header):]):
        raise RowError(_("The row has %(n)s cells but the header has %(m)s columns.")
                       % {"n": len(cells), "m": len(prepared.header)})
    values: dict[str, str] = dict(prepared.defaults)
    extra: dict[str, str] = {}
    targets = prepared.targets
    for index, cell in enumerate(cells[: len(prepared.header)]):
        if cell and (cell := cell.strip()):
            target = targets.get(index)
            if target in JOINED and values.get(target):
                values[target] += JOINED[target] + cell  # one column per photo (v2), per survey's tags (v3)
            elif target:
                values[target] = cell
            else:
                extra[prepared.header[index]] = cell
                if prepared.ushahidi and cell.startswith(("http://", "https://")) and " " not in cell:
                    # a v3 upload field (photo, audio…) exports its file's address under the field's label
                    values["media"] = f"{values['media']} {cell}" if values.get("media") else cell
    report = _report_values(prepared, values)
    custom = _survey_values(prepared, values)
    if report["lat"] is None and prepared.survey is not None:
        point = next((custom[f["name"]] for f in prepared.survey.fields
                      if f["type"] == "location" and f["name"] in custom), None)
        if point:
            report["lat"], report["lon"] = point["lat"], point["lon"]
    if extra:
        custom[EXTRA_KEY] = extra
    report["custom_values"] = custom
    return report


def _report_values(prepared: Prepared, values: dict[str, str]) -> dict:
    if prepared.ushahidi:
        for key in ("title", "description", "place_name", "reporter_name"):
            if values.get(key):
                values[key] = ushahidi.clean_text(values[key])
    title = values.get("title") or (prepared.survey.name_es if prepared.survey else "") \
        or title_from(values.get("description", ""))
    if not title:
        raise RowError(_("The title is empty."))
    limits = _limits()
    report = {key: values.get(key, "")[:limit] for key, limit in limits.items()}
    report["title"] = title[:limits["title"]]
    report["description"] = (values.get("description") or title)[:limits["description"]]
    report["occurred_at"] = prepared.read_date("occurred_at", values["occurred_at"]) \
        if values.get("occurred_at") else None
    # A cell without a time ("01/12/2026", "2026-12-01") is stored at the start of the day (what
    # parse_datetime gives) with the time marked unknown: pages then show the date alone.
    report["occurred_time_known"] = ":" in values.get("occurred_at", "") or report["occurred_at"] is None
    if report["occurred_at"] and report["occurred_at"] > datetime.now(UTC):  # aware: zones compare right
        raise RowError(_("The date %(value)s is in the future.") % {"value": values["occurred_at"]})
    report["lat"], report["lon"] = _location(prepared, values)
    report["categories"], report["unknown_categories"] = _categories(prepared, values.get("category", ""))
    report["external_id"] = values.get("external_id", "")
    report["status"] = ushahidi.status(values)
    if report["status"] == Report.Status.PUBLISHED and not prepared.may_publish:
        report["status"], report["held_back"] = Report.Status.VERIFIED, True
    report["media"] = values.get("media", "").split()
    return report


@functools.cache
def _limits() -> dict[str, int]:
    """LIMITED's model limits, looked up once (nine field lookups per row otherwise)."""
    return {key: text_limit(key) for key in LIMITED}


def title_from(description: str) -> str:
    """A title for a row with only a description (every SMS post of Ushahidi): its first line,
    at most TITLE_CHARS characters, cut at a word."""
    line = " ".join(next((part for part in description.splitlines() if part.strip()), "").split())
    if len(line) <= TITLE_CHARS:
        return line
    cut = line[: TITLE_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[TITLE_CHARS // 2:] else cut).rstrip(" ,.;:") + "…"


def _location(prepared: Prepared, values: dict[str, str]) -> tuple[float | None, float | None]:
    lat_text, lon_text = values.get("lat", ""), values.get("lon", "")
    if values.get("latlon"):
        parts = [p for p in re.split(r"[\s;,]+", values["latlon"].strip()) if p]
        if len(parts) != 2:
            raise RowError(_("“%(value)s” is not “latitude, longitude”.") % {"value": values["latlon"]})
        lat_text, lon_text = parts
    if not lat_text and not lon_text:
        return None, None
    if not (lat_text and lon_text):
        raise RowError(_("Give both latitude and longitude, or neither."))
    try:
        lat, lon = parse_number(lat_text), parse_number(lon_text)
    except ValueError:
        raise RowError(_("“%(lat)s, %(lon)s” are not coordinates.") % {"lat": lat_text, "lon": lon_text}) from None
    return fix_location(lat, lon, prepared.bbox)


def _categories(prepared: Prepared, text: str) -> tuple[list[Category], list[str]]:
    """The categories a cell names and the names it holds that are no category. A file repeats
    the same few cells ("Robo", "Extorsión") on every row: each distinct cell is read once per
    import (prepared.category_cells), and every row gets its own lists."""
    if text not in prepared.category_cells:
        prepared.category_cells[text] = _read_categories(prepared, text)
    found, unknown = prepared.category_cells[text]
    if unknown and not prepared.keep_unknown_categories:
        raise RowError(_("Unknown category “%(name)s”.") % {"name": unknown[0]})
    return list(found), list(unknown)


def _read_categories(prepared: Prepared, text: str) -> tuple[list[Category], list[str]]:
    found, unknown = [], []
    for name in category_names(text, ushahidi_export=prepared.ushahidi, known=prepared.categories):
        category = prepared.categories.get(norm(name))
        if category is None:
            unknown.append(name.strip())
        elif category not in found:
            found.append(category)
    return found, unknown


def category_names(text: str, *, ushahidi_export: bool = False, known: dict | None = None) -> list[str]:
    """The category names in a cell. Ushahidi: commas only ("2a. Penurie d'aliments | Food
    Shortage" is one bilingual name). Other files: commas and semicolons, and "|" too inside a
    piece that is not itself a category's name."""
    if ushahidi_export:
        return ushahidi.split_categories(text)
    names = []
    for piece in (p.strip() for p in re.split(r"[,;]", text) if p.strip()):
        if "|" in piece and known is not None and norm(piece) not in known:
            names.extend(p.strip() for p in piece.split("|") if p.strip())
        else:
            names.append(piece)
    return names


def _survey_values(prepared: Prepared, values: dict[str, str]) -> dict:
    if prepared.survey is None:
        return {}
    raw = {}
    for target, text in values.items():
        if target.startswith("field:"):
            spec = prepared.fields[target[6:]]
            if spec["type"] in {"date", "datetime", "start", "end", "today"}:
                moment = prepared.read_date(target, text)
                text = moment.date().isoformat() if spec["type"] in {"date", "today"} else moment.isoformat()
            raw[spec["name"]] = text
    try:
        cleaned = answers.clean_answers(prepared.survey, raw, enforce_required=False)
    except answers.AnswerError as exc:
        raise RowError(str(exc)) from None
    return answers.custom_values(prepared.survey, cleaned)
