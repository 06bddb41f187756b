"""A survey's submissions out as ODK Central exports them, every repeat row included (issue #16).

`write_csv_zip` writes what Central's "Download all data (.csv.zip)" writes (central-backend
lib/data/briefcase.js and its tests), so people and scripts used to Central read it unchanged:

- `<form_id>.csv`, newest first: SubmissionDate, one column per question outside repeats named by
  its group path joined with "-" (`casa-edad`, `meta-instanceID`), a geopoint split into
  -Latitude, -Longitude, -Altitude and -Accuracy, a select_multiple as sent (space-separated)
  followed by one 0/1 column per static choice (`colores/rojo`, Central's "split select multiple
  choices"), then KEY (the instanceID), SubmitterID and SubmitterName (the ODK device),
  FormVersion, and Testigo's ReportReference and ReportStatus.
- `<form_id>-<repeat name>.csv` per repeat (`~1`, `~2` after names two repeats share, as Central
  does): the repeat's questions (paths relative to the repeat), PARENT_KEY and KEY,
  `uuid:…/hogar/personas[2]`; nested, `uuid:…/personas[2]/vacunas[1]`, whose PARENT_KEY is the
  KEY of the row it sits in.

Columns are the union of the outlines of the form versions present in the export (Central's
"include deleted fields" merge): a question a later version dropped keeps its column, appended
at the end of its group, so no answer that arrived is left out. `write_xlsx` writes the same
tables as the sheets of one workbook.

Both stream: one pass over the submissions, CHUNK at a time, each table written as its rows come
to its own spooled temporary file (CSV) or worksheet file (openpyxl's write-only mode). Memory
stays flat whatever the number of rows: bench/bench_survey_export.py measures it.
"""

from __future__ import annotations

import copy
import io
import re
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from defusedxml import ElementTree
from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from testigo.core import csvsafe
from testigo.core.textsafe import strip_controls
from testigo.surveys import fieldtypes, xform
from testigo.surveys.models import Submission, Survey, SurveyVersion

# Submissions per query: bounds memory (each carries its answers' JSON) at a few round trips.
CHUNK = 500
# A table's CSV stays in memory up to this size, then moves to a temporary file.
SPOOL_BYTES = 1 << 20
GEOPOINT_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
SUBMISSION_TRAILER = ["KEY", "SubmitterID", "SubmitterName", "FormVersion", "ReportReference", "ReportStatus"]
REPEAT_TRAILER = ["PARENT_KEY", "KEY"]
SHEET_TITLE_MAX = 31  # Excel refuses longer sheet names
FORMATS = ("csv", "xlsx")
# What npm's sanitize-filename (Central's) removes from a file name.
_FILENAME_UNSAFE = re.compile(r'[/?<>\\:*|"\x00-\x1f\x80-\x9f]')
_FILENAME_RESERVED = re.compile(r"^\.+$|^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Column:
    """A question's cells in its table: one, four (geopoint) or one plus one per choice."""

    parts: tuple[str, ...]  # the path from the table's row to the answer
    kind: str  # "text", "geopoint" or "select_multiple"
    choices: list[str] = field(default_factory=list)


@dataclass
class Table:
    """One CSV file (one sheet): the submissions (index 0) or one repeat."""

    index: int
    name: str  # the repeat's name; the form id for the submissions table
    steps: tuple[str, ...] = ()  # groups, then the repeat, from the parent table's row
    header: list[str] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    children: list[Table] = field(default_factory=list)


# ---------------------------------------------------------------- columns
def columns(outline: dict) -> list[Table]:
    """The tables of an export, submissions first, then each repeat in form order."""
    tables = [Table(index=0, name=outline.get("form_id", ""), header=["SubmissionDate"])]
    _collect(outline.get("nodes", []), tables[0], (), tables)
    tables[0].header += SUBMISSION_TRAILER
    return tables


def _collect(nodes: list[dict], table: Table, prefix: tuple[str, ...], tables: list[Table]) -> None:
    for node in nodes:
        parts = (*prefix, node["name"])
        if node["kind"] == "repeat":
            repeat = Table(index=len(tables), name=node["name"], steps=parts)
            table.children.append(repeat)
            tables.append(repeat)
            _collect(node.get("children", []), repeat, (), tables)
            repeat.header += REPEAT_TRAILER
        elif node["kind"] == "group":
            _collect(node.get("children", []), table, parts, tables)
        else:
            _add_column(table, node, parts)


def _add_column(table: Table, node: dict, parts: tuple[str, ...]) -> None:
    name = "-".join(parts)
    if node.get("datatype") == "geopoint":
        table.columns.append(Column(parts, "geopoint"))
        table.header += [f"{name}-{part}" for part in GEOPOINT_PARTS]
    elif node.get("control") == "select":
        choices = [c["name"] for c in node.get("choices") or [] if c.get("name")]
        table.columns.append(Column(parts, "select_multiple", choices))
        table.header += [name, *(f"{name}/{choice}" for choice in choices)]
    else:
        table.columns.append(Column(parts, "text"))
        table.header.append(name)


def export_outline(survey: Survey, versions: Iterable[str] = ()) -> dict:
    """The outline the export follows: the survey's, with what older `versions` had and it lacks."""
    if not survey.from_xlsform:
        return builder_outline(survey)
    nodes = copy.deepcopy(survey.outline.get("nodes", []))
    older = [v for v in versions if v != survey.xform_version]
    for outline in SurveyVersion.objects.filter(survey=survey, version__in=older).values_list("outline", flat=True):
        _merge(nodes, outline.get("nodes", []))
    return {"form_id": survey.form_id, "nodes": nodes}


def _merge(nodes: list[dict], older: list[dict]) -> None:
    """Add to `nodes` what `older` has and they lack, at the end of its group (as Central does)."""
    mine = {node["name"]: node for node in nodes}
    for node in older:
        same = mine.get(node["name"])
        if same is None:
            nodes.append(node)
        elif same["kind"] != "question" and node["kind"] != "question":
            _merge(same.setdefault("children", []), node.get("children", []))


def builder_outline(survey: Survey) -> dict:
    """An outline for a survey built in the console, from its fields: groups nest their questions
    as the XForm pyxform makes of them does, so it reads the submissions' `data`."""
    root: list[dict] = []
    stack = [("", root)]
    for spec in survey.fields:
        ftype = fieldtypes.REGISTRY.get(spec.get("type"))
        prefix, children = stack[-1]
        if ftype is None:
            continue
        if ftype.group == "end":
            if len(stack) > 1:
                stack.pop()
            continue
        node = {"name": spec["name"], "path": f"{prefix}{spec['name']}", "kind": "question",
                "datatype": ftype.xlsform, "control": "select" if ftype.key == "select_multiple" else "",
                "choices": spec.get("choices") or []}
        if ftype.group == "begin":
            node = {"name": spec["name"], "path": node["path"], "kind": "group", "children": []}
            stack.append((f"{node['path']}/", node["children"]))
        children.append(node)
    meta = [{"name": "instanceID", "path": "meta/instanceID", "kind": "question", "datatype": "string"}]
    root.append({"name": "meta", "path": "meta", "kind": "group", "children": meta})
    return {"form_id": survey.form_id, "nodes": root}


# ---------------------------------------------------------------- rows
def _answer(scope, parts: tuple[str, ...]) -> str:
    value = scope
    for part in parts:
        if isinstance(value, list):  # a group sent twice: Central reads its answers into one row
            value = value[0] if value else None
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _cells(table: Table, scope: dict) -> list:
    cells: list = []
    for column in table.columns:
        value = _answer(scope, column.parts)
        if column.kind == "geopoint":
            bits = value.split()
            cells += [bits[i] if i < len(bits) else "" for i in range(len(GEOPOINT_PARTS))]
        elif column.kind == "select_multiple":
            chosen = set(value.split())
            cells += [value, *(1 if choice in chosen else 0 for choice in column.choices)]
        else:
            cells.append(value)
    return cells


def _items(scope: dict, steps: tuple[str, ...]) -> list[dict]:
    """The rows of a repeat, counted across a group sent twice (Central numbers them so too)."""
    level = [scope]
    for step in steps:
        found = []
        for item in level:
            value = item.get(step) if isinstance(item, dict) else None
            found += value if isinstance(value, list) else ([] if value is None else [value])
        level = found
    return [item for item in level if isinstance(item, dict)]


def _repeat_rows(table: Table, scope: dict, key: str, emit: Callable[[int, list], None]) -> None:
    for repeat in table.children:
        *groups, name = repeat.steps
        for position, item in enumerate(_items(scope, repeat.steps), 1):
            row_key = "/".join((key, *groups, f"{name}[{position}]"))
            emit(repeat.index, [*_cells(repeat, item), key, row_key])
            _repeat_rows(repeat, item, row_key, emit)


def _received(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _data(submission: Submission, outline: dict) -> dict:
    """The answers; submissions stored before `data` existed are read from their XML."""
    if submission.data:
        return submission.data
    try:
        return xform.instance_answers(outline, ElementTree.fromstring(bytes(submission.xml)))
    except ElementTree.ParseError:
        return {}


def exported(survey: Survey, submissions: QuerySet) -> QuerySet:
    """The submissions an export holds (stored, not replaced, rejected or still encrypted), newest
    first, with only what it reads."""
    return (submissions.filter(survey=survey, status=Submission.Status.STORED)
            .select_related("report", "device")
            .only("instance_id", "data", "form_version", "received_at", "report", "device",
                  "report__reference", "report__status", "device__name")
            .order_by("-received_at", "-id"))


def _prepare(survey: Survey, submissions: QuerySet) -> tuple[list[Table], Iterator[tuple[int, list]]]:
    chosen = exported(survey, submissions)
    versions = chosen.order_by().values_list("form_version", flat=True).distinct()
    outline = export_outline(survey, list(versions))
    tables = columns(outline)

    def rows() -> Iterator[tuple[int, list]]:
        pending: list[tuple[int, list]] = []  # one submission's repeat rows

        def emit(index: int, row: list) -> None:
            pending.append((index, row))

        for submission in chosen.iterator(chunk_size=CHUNK):
            data = _data(submission, outline)
            report, device = submission.report, submission.device
            yield 0, [_received(submission.received_at), *_cells(tables[0], data), submission.instance_id,
                      device.pk if device else "", device.name if device else "", submission.form_version,
                      report.reference if report else "", report.status if report else ""]
            _repeat_rows(tables[0], data, submission.instance_id, emit)
            yield from pending
            pending.clear()

    return tables, rows()


# ---------------------------------------------------------------- files
def _sanitized(name: str) -> str:
    name = _FILENAME_UNSAFE.sub("", name)
    name = re.sub(r"[. ]+$", "", _FILENAME_RESERVED.sub("", name))
    return name.encode("utf-8")[:200].decode("utf-8", "ignore")


def filename(survey: Survey, fmt: str) -> str:
    """The download's name, as Central names it: `<form_id>.csv.zip`; `<form_id>.xlsx`."""
    base = _sanitized(survey.form_id) or "survey"
    return f"{base}.csv.zip" if fmt == "csv" else f"{base}.xlsx"


def _table_names(tables: list[Table]) -> list[str]:
    """Central's names: the form id, then `<repeat>` or `<repeat>~<n>` when names repeat."""
    totals = Counter(table.name for table in tables[1:])
    seen: Counter = Counter()
    names = [tables[0].name]
    for table in tables[1:]:
        seen[table.name] += 1
        names.append(f"{table.name}~{seen[table.name]}" if totals[table.name] > 1 else table.name)
    return names


class _Spool:
    """A CSV table written to memory, then to a temporary file once it passes SPOOL_BYTES."""

    def __init__(self, header: list[str]):
        self.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self.text = io.TextIOWrapper(self.file, encoding="utf-8", newline="", write_through=True)
        self.text.write("\ufeff")  # Excel opens UTF-8 correctly only with a BOM
        self.writer = csvsafe.writer(self.text)
        self.writer.writerow(header)

    def copy_to(self, archive: zipfile.ZipFile, name: str) -> None:
        self.text.flush()
        self.text.detach()
        info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size = self.file.tell()  # lets zipfile decide on ZIP64 before it writes
        self.file.seek(0)
        with archive.open(info, "w") as entry:
            shutil.copyfileobj(self.file, entry, 1 << 16)
        self.file.close()


def write_csv_zip(survey: Survey, submissions: QuerySet, out: BinaryIO) -> None:
    """Write the zip of CSV files (see the module docstring) of `submissions` of `survey` to `out`."""
    tables, rows = _prepare(survey, submissions)
    spools = [_Spool(table.header) for table in tables]
    try:
        for index, row in rows:
            spools[index].writer.writerow(row)
        form_id = _sanitized(survey.form_id) or "survey"
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for position, (spool, name) in enumerate(zip(spools, _table_names(tables), strict=True)):
                spool.copy_to(archive, f"{form_id}.csv" if position == 0 else _sanitized(f"{form_id}-{name}.csv"))
    finally:
        for spool in spools:
            spool.file.close()


def _sheet_titles(tables: list[Table]) -> list[str]:
    """Sheet names Excel accepts (31 characters, none of []:*?/\\, unique ignoring case)."""
    titles: list[str] = []
    for name in _table_names(tables):
        title = _SHEET_UNSAFE.sub("_", name).strip("'")[:SHEET_TITLE_MAX] or "data"
        base, n = title, 1
        while title.lower() in {t.lower() for t in titles}:
            n += 1
            title = f"{base[:SHEET_TITLE_MAX - len(str(n)) - 1]}~{n}"
        titles.append(title)
    return titles


def _sheet_row(sheet, values: list) -> list:
    row = []
    for value in values:
        if isinstance(value, str):
            value = strip_controls(value)  # openpyxl refuses control characters
            if value.startswith("="):  # typed as text, a cell is shown and never run as a formula
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                value = cell
        row.append(value)
    return row


def write_xlsx(survey: Survey, submissions: QuerySet, out: BinaryIO) -> None:
    """Write the same tables as `write_csv_zip`, one sheet each, as one .xlsx to `out`."""
    tables, rows = _prepare(survey, submissions)
    book = Workbook(write_only=True)
    sheets = [book.create_sheet(title) for title in _sheet_titles(tables)]
    for sheet, table in zip(sheets, tables, strict=True):
        sheet.append(_sheet_row(sheet, table.header))
    for index, row in rows:
        sheets[index].append(_sheet_row(sheets[index], row))
    book.save(out)


def report_export_sheets(*, book, survey, reports, taken: str) -> None:
    """The survey's submissions for `reports` and a sheet per repeat in a report XLSX export
    (reports/exporters.py), as this module's own XLSX writes them: KEY / PARENT_KEY link a
    repeat's rows to their submission, whose ReportReference is the report's reference in the
    export's first sheet (titled `taken`)."""
    from testigo.surveys.models import Submission

    submissions = Submission.objects.filter(report_id__in=reports.order_by().values("pk"))
    tables, rows = _prepare(survey, submissions)
    titles = []
    for title in _sheet_titles(tables):
        while title.lower() in {taken.lower(), *(t.lower() for t in titles)}:
            title = f"{title[:SHEET_TITLE_MAX - 2]}~2"
        titles.append(title)
    sheets = [book.create_sheet(title) for title in titles]
    for sheet, table in zip(sheets, tables, strict=True):
        sheet.append(_sheet_row(sheet, table.header))
    for index, row in rows:
        sheets[index].append(_sheet_row(sheets[index], row))
