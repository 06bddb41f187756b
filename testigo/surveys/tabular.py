"""Reading CSV and XLSX files as rows of text, whatever Excel or LibreOffice wrote.

CSV: the encoding is detected (a UTF-8 or UTF-16 byte-order mark; else UTF-8 if the whole file
decodes; else Windows-1252, the Latin-1 that spreadsheets on Windows actually write), and so is
the delimiter (comma, semicolon, tab). XLSX: dates become ISO text, whole numbers lose ".0".
Rows are streamed, so a 100,000-row file is never held in memory at once.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from testigo.core import archives

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
csv.field_size_limit(1024 * 1024)


@dataclass
class Table:
    header: list[str]
    encoding: str  # "xlsx" for spreadsheets
    rows: Iterator[tuple[int, list[str]]]  # (row number in the file, cells)


def detect_encoding(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _open_text(path: Path, encoding: str):
    # cp1252 leaves five bytes undefined; they become U+FFFD instead of failing the import.
    errors = "strict" if encoding != "cp1252" else "replace"
    return open(path, encoding=encoding, errors=errors, newline="")


def read_csv(path: Path) -> Table:
    encoding = detect_encoding(path)
    with _open_text(path, encoding) as handle:
        sample = handle.read(SNIFF_BYTES)
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample else ",", DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","

    def rows() -> Iterator[tuple[int, list[str]]]:
        with _open_text(path, encoding) as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            next(reader, None)
            for number, cells in enumerate(reader, start=2):
                if number == 2 and is_hxl_row(cells):
                    continue  # HXL hashtags under the header (Ushahidi's "include HXL"): not data
                if any(map(str.strip, cells)):  # a row of empty cells is no row
                    yield number, cells

    with _open_text(path, encoding) as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    return Table(header=[h.strip() for h in header], encoding=encoding, rows=rows())


# The HXL standard's core hashtags (hxlstandard.org, dictionary 1.1); Ushahidi's export offers these.
HXL_CORE_TAGS = frozenset(
    "access activity adm1 adm2 adm3 adm4 adm5 affected beneficiary capacity cause channel contact country crisis "
    "currency date description event financial frequency geo group impact indicator inneed item loc meta modality "
    "need operations org output population reached region respondee sector service severity status subsector "
    "targeted value".split())
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$", re.IGNORECASE)


def is_hxl_row(cells: list[str]) -> bool:
    """A row of HXL hashtags (#event +id, #geo +lat…): every filled cell one, and at least one of
    them a tag of the HXL standard (a data row of Twitter hashtags stays data)."""
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(HXL_TAG.match(c) for c in filled) and any(
        re.split(r"[\s+]", c[1:], maxsplit=1)[0].casefold() in HXL_CORE_TAGS for c in filled)


def read_json(path: Path) -> Table:
    """An Ushahidi JSON export / API answer as a table in the v3 CSV's columns."""
    from testigo.surveys import ushahidi

    header, rows = ushahidi.json_table(path)
    return Table(header=header, encoding="json", rows=iter(rows))


def cell_text(value) -> str:
    """A spreadsheet cell as text: dates in ISO form (no 00:00:00 on a plain date), whole numbers
    without a trailing .0 (Excel stores every number as a float)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    archives.check_zip(path)  # raises UnsafeArchive before openpyxl inflates anything
    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    header = [cell_text(v).strip() for v in next(sheet.iter_rows(max_row=1, values_only=True), ())]

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            cells = [cell_text(v) for v in values]
            while cells and not cells[-1].strip():
                cells.pop()  # openpyxl pads to the sheet's widest row
            if cells:
                yield number, cells
        workbook.close()

    return Table(header=header, encoding="xlsx", rows=rows())


def read_table(path: Path) -> Table:
    """Open a CSV, XLSX or (Ushahidi) JSON file (decided by its content, not its name)."""
    from testigo.surveys import ushahidi

    with open(path, "rb") as handle:
        is_zip = handle.read(4) == b"PK\x03\x04"
    if is_zip:
        return read_xlsx(path)
    return read_json(path) if ushahidi.looks_like_json(path) else read_csv(path)


def preview(path: Path, limit: int = 10) -> tuple[Table, list[tuple[int, list[str]]]]:
    table = read_table(path)
    first = []
    for item in table.rows:
        first.append(item)
        if len(first) >= limit:
            break
    return table, first


def count_rows(path: Path) -> int:
    return sum(1 for _ in read_table(path).rows)

