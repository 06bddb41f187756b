"""Row builders (API pages, the public map's list) and streaming CSV and GeoJSON exports, shared
by the API, the public site and `testigo export`. Exports read chunk by chunk with a server-side
cursor where there is one and fetch categories per chunk, so an export of a million reports runs
in constant memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation

from testigo.core import csvsafe, dates, textsafe
from testigo.reports.models import Category, Report

# Writers of extra sheets from apps above reports, by format: "xlsx" -> callable(book=, survey=,
# reports=, taken=) adds a survey's submissions and repeats (surveys/exports.py).
SURVEY_SHEETS: dict = {}

CHUNK = 2000

PUBLIC_COLUMNS = ["reference", "title", "description", "categories", "occurred_at", "published_at", "lat", "lon",
                  "place_name", "admin1", "admin2", "source", "url"]
STAFF_COLUMNS = ["reference", "title", "description", "status", "visibility", "categories", "occurred_at",
                 "received_at", "updated_at", "published_at", "lat", "lon", "precision_m", "place_name",
                 "admin1", "admin2", "source", "language", "merged_into"]
CONTACT_COLUMNS = ["reporter_name", "reporter_contact"]

_STAFF_VALUES = ["id", "reference", "title", "description", "status", "visibility", "occurred_at",
                 "occurred_time_known", "received_at", "updated_at", "published_at", "lat", "lon", "precision_m",
                 "place_name", "admin1", "admin2", "source", "language", "merged_into__reference"]


def report_url(reference: str) -> str:
    return f"/r/{reference}/"


def _category_slugs(ids: list[int]) -> dict[int, list[str]]:
    slugs: dict[int, list[str]] = {i: [] for i in ids}
    links = (Report.categories.through.objects.filter(report_id__in=ids)
             .values_list("report_id", "category__slug").order_by("report_id", "category__slug"))
    for report_id, slug in links:
        slugs[report_id].append(slug)
    return slugs


def _chunked(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def display_date(row: dict, fallback: str) -> str:
    """`when` in API rows: the date a list shows for the report, formatted on the server in the
    request's language and TESTIGO_TIME_ZONE (core/dates.py), so the map list with JavaScript says
    what the pages say. When it happened (the date alone if the time is unknown), else `fallback`
    (published_at for the public, received_at for staff)."""
    return dates.show_occurred(row) or dates.show(row.get(fallback))


def public_row(row: dict, slugs: list[str]) -> dict:
    """A public_reports() dict in its published shape."""
    return {"reference": row["reference"], "title": row["public_title"], "description": row["public_description"],
            "categories": slugs, "occurred_at": row["occurred_at"], "published_at": row["published_at"],
            "lat": row["public_lat"], "lon": row["public_lon"], "place_name": row["place_name"],
            "admin1": row["public_admin1"], "admin2": row["public_admin2"], "source": row["public_source"],
            "url": report_url(row["reference"]), "when": display_date(row, "published_at")}


def staff_row(row: dict, slugs: list[str], with_contact: bool) -> dict:
    out = {col: row.get(col) for col in STAFF_COLUMNS}
    out["categories"] = slugs
    out["merged_into"] = row.get("merged_into__reference")
    out["when"] = display_date(row, "received_at")
    if with_contact:
        out["reporter_name"], out["reporter_contact"] = row["reporter_name"], row["reporter_contact"]
    return out


def public_rows_from(batch: list[dict]) -> Iterator[dict]:
    slugs = _category_slugs([r["id"] for r in batch])
    for row in batch:
        yield public_row(row, slugs[row["id"]])


def staff_values(qs: QuerySet, with_contact: bool) -> QuerySet:
    fields = _STAFF_VALUES + (["reporter_name", "reporter_contact"] if with_contact else [])
    return qs.select_related(None).prefetch_related(None).values(*fields)


def staff_rows(qs: QuerySet, *, with_contact: bool) -> Iterator[dict]:
    """`qs` is a Report queryset already restricted to what the reader may see."""
    for batch in _chunked(staff_values(qs, with_contact).iterator(chunk_size=CHUNK)):
        yield from staff_rows_from(batch, with_contact)


def staff_rows_from(batch: list[dict], with_contact: bool) -> Iterator[dict]:
    slugs = _category_slugs([r["id"] for r in batch])
    for row in batch:
        yield staff_row(row, slugs[row["id"]], with_contact)


def _cell(value) -> str:
    # Hot path of a million-row export: the common types first, no regex unless needed.
    if value.__class__ is str:
        # Control characters and bidi overrides out (core/textsafe.py), then the one
        # spreadsheet-formula guard (core/csvsafe.py); most cells skip both on two C-level tests.
        if value and (value[0] in csvsafe.FORMULA_TRIGGERS or not value.isprintable()):
            return csvsafe.spreadsheet_safe(textsafe.strip_controls(value))
        return value
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return _cell(str(value)) if not isinstance(value, int | float) else str(value)


def _json_values(value) -> dict:
    """custom_values as read by a raw cursor: JSON text (or already a dict)."""
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value) if value else {}
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


# --- Open formats: XLSX, KML and HXL-tagged CSV (issue #24) ---------------------------------------
#
# The same rows as the CSV (same columns, same chunks, same cleaning), in the shapes partners'
# tools read: Excel, Google Earth / QGIS, and HDX's Humanitarian Exchange Language.

FORMATS = ("csv", "geojson", "xlsx", "kml", "hxl")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "kml": "application/vnd.google-earth.kml+xml",
    "hxl": "text/csv; charset=utf-8",
}
FILENAMES = {"csv": "reports.csv", "geojson": "reports.geojson", "xlsx": "reports.xlsx", "kml": "reports.kml",
             "hxl": "reports-hxl.csv"}

# Each column's HXL hashtag (https://hxlstandard.org/standard/1-1final/dictionary/); a survey's
# answer columns stay untagged (HXL allows untagged columns).
HXL_TAGS = {
    "reference": "#event+id", "title": "#event+name", "description": "#description", "categories": "#sector+list",
    "status": "#status", "visibility": "#status+visibility", "occurred_at": "#date+occurred",
    "received_at": "#date+received", "updated_at": "#date+updated", "published_at": "#date+published",
    "lat": "#geo+lat", "lon": "#geo+lon", "precision_m": "#geo+precision", "place_name": "#loc+name",
    "admin1": "#adm1+name", "admin2": "#adm2+name", "source": "#meta+source", "language": "#meta+lang",
    "merged_into": "#event+id+merged", "url": "#meta+url", "reporter_name": "#contact+name",
    "reporter_contact": "#contact+info",
}
XLSX_READ = 1 << 16  # bytes per streamed piece of a finished workbook


def _xml_text(value) -> str:
    from xml.sax.saxutils import escape

    if value is None:
        return ""
    return escape(textsafe.strip_controls(value if isinstance(value, str) else str(value)))


def _kml_colour(hex_colour: str) -> str:
    """#rrggbb -> KML's aabbggrr (opaque)."""
    value = (hex_colour or "").lstrip("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        value = "c0392b"
    return f"ff{value[4:6]}{value[2:4]}{value[0:2]}".lower()


class OpenFormats:
    """XLSX, KML and HXL writers over an Export's chunks (mixed into Export below)."""

    def hxl(self, progress=None) -> Iterator[str]:
        """CSV with the HXL hashtag row under the header, the rest as `csv()` writes it."""
        rows = self.csv(progress)
        header = next(rows)
        tags = io.StringIO()
        csv.writer(tags).writerow([HXL_TAGS.get(column, "") for column in self.columns])
        yield header + tags.getvalue()
        yield from rows

    def xlsx(self, progress=None) -> Iterator[bytes]:
        """One sheet "reports", written row by row by openpyxl's write-only mode to a temporary
        file (memory stays flat), then streamed from it. Cells are the CSV's (formula guard,
        control characters out), so nothing a reporter typed becomes a formula."""
        import tempfile

        from openpyxl import Workbook

        make = self._compile(f"[{', '.join(self._expressions(for_csv=True))}]")
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_xlsx_title())
        sheet.append([_cell(c) for c in self.columns])
        for rows, slugs in self._batches():
            for row in rows:
                sheet.append(make(row, slugs))
            if progress:
                progress(len(rows))
        if self.survey is not None and self.survey.from_xlsform:
            self._survey_sheets(book, sheet.title)
        with tempfile.TemporaryFile() as handle:
            book.save(handle)
            handle.seek(0)
            while piece := handle.read(XLSX_READ):
                yield piece

    def _survey_sheets(self, book, taken: str) -> None:
        """The survey's submissions for these reports and a sheet per repeat, written by the
        surveys app (SURVEY_SHEETS, filled in SurveysConfig.ready: reports sit below surveys)."""
        writer = SURVEY_SHEETS.get("xlsx")
        if writer is not None:
            writer(book=book, survey=self.survey, reports=self.qs, taken=taken)

    def kml(self, progress=None) -> Iterator[str]:
        """A KML Document: a Style per category (its colour), a Placemark per report with its
        first category's style, its point (none when it has no location) and every column as
        ExtendedData."""
        expressions = self._expressions(for_csv=False)
        make = self._compile(f"[{', '.join(expressions)}]")
        position = {column: i for i, column in enumerate(self.columns)}
        lat, lon = position["lat"], position["lon"]
        title, description, categories = position["title"], position["description"], position["categories"]
        from django.db import connections

        styles = Category.objects.using(connections[self.qs.db].alias).order_by("position", "slug")
        if self.public:  # survivor-pathway categories are never on a public report: not even named
            styles = styles.filter(sensitive=False)
        yield ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
               "<Document><name>Testigo</name>\n")
        for slug, colour in styles.values_list("slug", "colour"):
            yield (f'<Style id="cat-{_xml_text(slug)}"><IconStyle><color>{_kml_colour(colour)}</color></IconStyle>'
                   f"<LineStyle><color>{_kml_colour(colour)}</color></LineStyle></Style>\n")
        columns = [_xml_text(c) for c in self.columns]

        def text(rows, slugs) -> str:
            out = []
            for row in rows:
                values = make(row, slugs)
                cats = values[categories]
                style = f"<styleUrl>#cat-{_xml_text(cats[0])}</styleUrl>" if cats else ""
                data = "".join(
                    f'<Data name="{name}"><value>'
                    f"{_xml_text(';'.join(value) if isinstance(value, list) else value)}</value></Data>"
                    for name, value in zip(columns, values, strict=True))
                point = ""
                if values[lat] is not None and values[lon] is not None:
                    point = f"<Point><coordinates>{values[lon]},{values[lat]}</coordinates></Point>"
                out.append(f"<Placemark><name>{_xml_text(values[title])}</name>"
                           f"<description>{_xml_text(values[description])}</description>{style}"
                           f"<ExtendedData>{data}</ExtendedData>{point}</Placemark>\n")
            return "".join(out)

        yield from self._formatted(text, progress)
        yield "</Document></kml>\n"

    def stream(self, fmt: str, progress=None) -> Iterator:
        """The export in `fmt` (one of FORMATS)."""
        return {"csv": self.csv, "geojson": self.geojson, "xlsx": self.xlsx, "kml": self.kml,
                "hxl": self.hxl}[fmt](progress)


def _xlsx_title() -> str:
    from django.utils.translation import gettext

    return gettext("Reports")[:31]



# --- Whole exports: the same rows and cells as above, a million of them in seconds -----------------
#
# The row-by-row path above builds a model dict, a row dict and a csv call per report: fine for a
# page, 50 s for a million. `Export` reads the same queryset as plain tuples in chunks (a
# server-side cursor on PostgreSQL), fetches each chunk's categories in one query, formats each
# column with a function chosen once, and hands a whole chunk to the csv module / JSON encoder.

EXPORT_CHUNK = 5000
# The first chunk is small: a client (or a proxy with a read timeout) gets the first rows after a
# few hundred are read and formatted instead of five thousand (issue #19: the first rows of an
# export at 100,000 reports came 0.5-3 s after the header); the rest go in full chunks.
FIRST_CHUNK = 200
_DATETIMES = {"occurred_at", "published_at", "received_at", "updated_at"}
_PUBLIC_SELECT = [("reference", "reference"), ("title", "public_title"), ("description", "public_description"),
                  ("occurred_at", "occurred_at"), ("published_at", "published_at"), ("lat", "public_lat"),
                  ("lon", "public_lon"), ("place_name", "place_name"), ("admin1", "public_admin1"),
                  ("admin2", "public_admin2"), ("source", "public_source")]
_TEXT = {"title", "description", "place_name", "admin1", "admin2", "source", "reporter_name", "reporter_contact",
         "reference", "status", "visibility", "language", "merged_into"}


class Export(OpenFormats):
    """One export: `qs` is public_reports(...) (public) or a Report queryset already restricted to
    what the reader may see (staff); rows come out in the queryset's order."""

    def __init__(self, qs: QuerySet, *, public: bool, with_contact: bool = False,
                 answers: list[tuple[str, Callable[[dict], str]]] | None = None, survey=None) -> None:
        """`answers`: a survey's (header, cell) columns (surveys.columns.export_columns), staff
        exports only: appended after the report's own columns, read from custom_values.
        `survey` (staff only): that survey; an XLSX export then adds its submissions and a sheet
        per repeat."""
        self.qs, self.public, self.with_contact = qs, public, with_contact
        self.survey = None if public else survey
        self.answers = [] if public else list(answers or [])
        if public:
            self.columns = PUBLIC_COLUMNS
            self.select = [("id", "id"), *_PUBLIC_SELECT]
        else:
            self.columns = STAFF_COLUMNS + (CONTACT_COLUMNS if with_contact else [])
            fields = _STAFF_VALUES + (CONTACT_COLUMNS if with_contact else [])
            self.select = [("merged_into" if f == "merged_into__reference" else f, f) for f in fields]
            if self.answers:
                self.select.append(("custom_values", "custom_values"))
                self.columns = self.columns + [header for header, _cell in self.answers]

    def _batches(self) -> Iterator[tuple[list[tuple], dict[int, list[str]]]]:
        from django.db import connections
        from django.db.models import F, Func, TextField
        from django.db.models.functions import Cast

        connection = connections[self.qs.db]
        qs = self.qs.select_related(None).prefetch_related(None) if not self.public else self.qs
        names, casts = [], {}
        for _name, source in self.select:
            # Datetimes as text straight from the database: parsing a million of them into Python
            # datetimes (in Python code, on both back ends) costs more than the rest of the export.
            if source in _DATETIMES and connection.vendor == "sqlite":  # stored as naive UTC text
                casts[f"_text_{source}"] = Cast(source, TextField())
                names.append(f"_text_{source}")
            elif source in _DATETIMES and connection.vendor == "postgresql":
                casts[f"_text_{source}"] = Func(
                    F(source), template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')",
                    output_field=TextField())
                names.append(f"_text_{source}")
            else:
                names.append(source)
        sql, params = qs.annotate(**casts).values_list(*names).query.get_compiler(using=self.qs.db).as_sql()
        slug_of = dict(Category.objects.using(connection.alias).values_list("id", "slug"))
        if connection.vendor == "postgresql" and connection.get_autocommit():
            # Inside a transaction the server-side cursor streams; outside one it must be WITH HOLD,
            # which makes PostgreSQL copy the whole result before the first row. (Not on SQLite,
            # where a transaction would take the write lock for the length of the export.)
            with transaction.atomic(using=connection.alias):
                yield from self._fetch(connection, sql, params, slug_of)
        else:
            yield from self._fetch(connection, sql, params, slug_of)

    @staticmethod
    def _fetch(connection, sql, params, slug_of) -> Iterator[tuple[list[tuple], dict[int, list[str]]]]:
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            size = FIRST_CHUNK
            while rows := cursor.fetchmany(size):
                yield rows, _slug_lists(connection, [r[0] for r in rows], slug_of)
                size = EXPORT_CHUNK

    def _expressions(self, for_csv: bool) -> list[str]:
        """Per output column, a Python expression over the row tuple `r` and the chunk's slugs `s`."""
        from django.db import connections

        vendor = connections[self.qs.db].vendor
        index = {name: i for i, (name, _source) in enumerate(self.select)}
        parts = []
        own = len(self.columns) - len(self.answers)  # survey answers come after the report's columns
        for position, column in enumerate(self.columns):
            if position >= own:  # its cell function over the row's custom_values (JSON text)
                answer = f"answer[{position - own}](values(r[{index['custom_values']}]))"
                parts.append(f"cell({answer})" if for_csv else f"plain({answer})")
            elif column == "categories":
                parts.append("';'.join(s.get(r[0], ()))" if for_csv else "s.get(r[0], [])")
            elif column == "url":
                parts.append(f"url(r[{index['reference']}])")
            elif column in _DATETIMES:
                v = f"r[{index[column]}]"
                # The strings datetime.isoformat() gives for the aware UTC values the ORM would read.
                if vendor == "sqlite":  # "YYYY-MM-DD HH:MM:SS[.ffffff]"
                    text = f"{v}.replace(' ', 'T', 1) + '+00:00'"
                elif vendor == "postgresql":  # "YYYY-MM-DDTHH:MM:SS.ffffff", isoformat drops .000000
                    text = f"({v}[:-7] if {v}.endswith('.000000') else {v}) + '+00:00'"
                else:
                    text = f"{v}.isoformat()"
                parts.append(f"(None if {v} is None else {text})")
            elif column in _TEXT and for_csv:  # control characters and formula guard, see _cell
                v = f"r[{index[column]}]"
                parts.append(f"(cell({v}) if {v} and ({v}[0] in risky or not {v}.isprintable()) else {v})")
            elif column in _TEXT:  # GeoJSON: control characters out (core/textsafe.py)
                v = f"r[{index[column]}]"
                parts.append(f"(plain({v}) if {v} and not {v}.isprintable() else {v})")
            else:
                parts.append(f"r[{index[column]}]")
        return parts

    def _compile(self, body: str):
        """`lambda r, s: body`, compiled once per export: one call per row with every column's
        formatting inlined, instead of a call per value. `body` is built from our own column names
        (survey headers appear in it only as dictionary keys, through repr)."""
        return eval(f"lambda r, s: {body}", {"cell": _cell, "risky": csvsafe.FORMULA_TRIGGERS, "url": report_url,  # noqa: S307
                                             "plain": textsafe.strip_controls,
                                             "answer": [c for _h, c in self.answers], "values": _json_values})

    def csv(self, progress=None) -> Iterator[str]:
        make = self._compile(f"[{', '.join(self._expressions(for_csv=True))}]")

        def text(rows, slugs) -> str:
            buffer = io.StringIO()
            csv.writer(buffer).writerows([make(row, slugs) for row in rows])
            return buffer.getvalue()

        header = io.StringIO()
        csvsafe.writer(header).writerow(self.columns)  # survey labels are typed by staff
        yield header.getvalue()
        yield from self._formatted(text, progress)

    def geojson(self, progress=None) -> Iterator[str]:
        expressions = dict(zip(self.columns, self._expressions(for_csv=False), strict=True))
        lat, lon = expressions.pop("lat"), expressions.pop("lon")
        properties = ", ".join(f"{name!r}: {expression}" for name, expression in expressions.items())
        make = self._compile(
            f"{{'type': 'Feature', 'geometry': None if {lat} is None or {lon} is None else "
            f"{{'type': 'Point', 'coordinates': [{lon}, {lat}]}}, 'properties': {{{properties}}}}}")

        def text(rows, slugs) -> str:
            return json.dumps([make(row, slugs) for row in rows], ensure_ascii=False, default=_json_default)[1:-1]

        yield '{"type":"FeatureCollection","features":['
        first = True
        for chunk in self._formatted(text, progress):
            # json.dumps's own separator between features: the bytes do not depend on the chunks
            yield chunk if first else ", " + chunk
            first = False
        yield "]}\n"

    def _formatted(self, text: Callable[[list[tuple], dict], str], progress) -> Iterator[str]:
        """`text(rows, slugs)` of every chunk, in order.

        On PostgreSQL a second thread formats chunk N while this one fetches chunk N+1: the fetch
        is one round trip per chunk, waiting on the socket without the GIL, so the server's work
        and ours overlap (GeoJSON of a million reports: 28.5 s -> 24.8 s). SQLite reads a row per
        step, releasing and retaking the GIL each time, which a busy second thread makes slower
        than one thread doing both (21.0 s -> 22-23 s), so SQLite stays on one thread. The
        database connection stays on the caller's thread, inside the caller's transaction."""
        from django.db import connections

        if connections[self.qs.db].vendor != "postgresql":
            for rows, slugs in self._batches():
                yield text(rows, slugs)
                if progress:
                    progress(len(rows))
            return
        language = translation.get_language()  # thread-local: the worker formats in the caller's

        def in_language(rows, slugs) -> str:
            with translation.override(language):
                return text(rows, slugs)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as pool:
            pending: Future | None = None
            pending_rows = 0
            for rows, slugs in self._batches():
                future = pool.submit(in_language, rows, slugs)
                if pending is not None:
                    yield pending.result()
                    if progress:
                        progress(pending_rows)
                pending, pending_rows = future, len(rows)
            if pending is not None:
                yield pending.result()
                if progress:
                    progress(pending_rows)


def _slug_lists(connection, ids: list[int], slug_of: dict[int, str]) -> dict[int, list[str]]:
    """Category slugs per report id (sorted), in one plain query for the whole chunk."""
    if not ids:
        return {}
    through = Report.categories.through
    quote = connection.ops.quote_name
    out: dict[int, list[str]] = {}
    table = quote(through._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array parameter instead of 5,000 to plan
            cursor.execute(f"SELECT report_id, category_id FROM {table} WHERE report_id = ANY(%s)", [ids])
        else:
            cursor.execute(f"SELECT report_id, category_id FROM {table} WHERE report_id IN "
                           f"({', '.join(['%s'] * len(ids))})", ids)
        for report_id, category_id in cursor.fetchall():
            out.setdefault(report_id, []).append(slug_of[category_id])
    for slugs in out.values():
        if len(slugs) > 1:
            slugs.sort()
    return out

