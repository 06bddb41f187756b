"""Day first or month first: decided from the file's own dates, asked when they cannot tell, never guessed.

Issue #18: an Ushahidi Haiti 2010 export writes "03/04/2010" for 3 April; the import read it as
4 March and silently swapped day and month in 460 of the 489 rows whose day is 12 or less. A date
column is therefore scanned to the end before the import runs (about as long as reading the file:
0.3 s for 100,000 rows on a busy test machine; only the date columns are looked at):

- a value whose first part is over 12 ("25/01/2010") settles day/month/year;
- a value whose second part is over 12 ("01/25/2010") settles month/day/year;
- both in the same file: the dates are inconsistent and the import is refused, naming both rows;
- neither (every value could be read both ways): staff choose, seeing example rows read both ways.

ISO dates (2010-01-25) need no decision. The order found or chosen is kept in the mapping as
"date_order": "dmy" | "mdy", and every row is read with it (mapping.parse_datetime).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ORDERS = {"dmy": gettext_lazy("day/month/year"), "mdy": gettext_lazy("month/day/year")}
EXAMPLES = 3  # rows shown read both ways when staff must choose
# Survey field types whose cells are dates (the same set mapping._survey_values converts).
DATE_TYPES = {"date", "datetime", "start", "end", "today"}

# Two numbers and a year with the same separator (/ - .), optionally a time (seconds, fraction,
# AM/PM) and a zone (Z, UTC, +05:00). Year first (ISO) does not match: it needs no decision.
SHAPE = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:(?:\s+|T|,\s*)(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,]\d+)?)?(?:\s*([AaPp])\.?\s*[Mm]\.?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$")


class DateOrderError(ValueError):
    """The dates of a file cannot be read without a decision (translated message)."""


class Undecided(DateOrderError):
    """Every date could be day or month first: staff must choose."""

    def __init__(self, reading: Reading):
        self.reading = reading
        first = reading.ambiguous[0]
        super().__init__(_("The dates in “%(column)s” can be read as day/month/year or as month/day/year "
                           "(row %(row)s: “%(value)s”). Choose the order.")
                         % {"column": first.column, "row": first.row, "value": first.value})


class Inconsistent(DateOrderError):
    """Some dates are day first and others month first: the file must be corrected."""

    def __init__(self, reading: Reading):
        self.reading = reading
        day, month = reading.conflict
        super().__init__(_("The dates mix two orders: row %(row1)s has “%(value1)s” (day first, in “%(column1)s”) "
                           "and row %(row2)s has “%(value2)s” (month first, in “%(column2)s”). Correct the file "
                           "so that every date has the same order, and upload it again.")
                         % {"row1": day.row, "value1": day.value, "column1": day.column,
                            "row2": month.row, "value2": month.value, "column2": month.column})


class Ambiguous(ValueError):
    """A value read without a decided order that could be two dates."""


class Contradicted(DateOrderError):
    """The order chosen is not the one the file's own dates settle."""

    def __init__(self, reading: Reading, chosen: str):
        self.reading = reading
        super().__init__(_("Row %(row)s has “%(value)s”, which can only be %(order)s, not %(chosen)s.")
                         % {"row": reading.evidence.row, "value": reading.evidence.value,
                            "order": ORDERS[reading.order], "chosen": ORDERS[chosen]})


@dataclass(frozen=True)
class Example:
    row: int
    column: str
    value: str

    def both_ways(self) -> tuple[datetime | None, datetime | None]:
        """The value read day first and month first (None where that reading is no date)."""
        return read(self.value, "dmy"), read(self.value, "mdy")


@dataclass
class Reading:
    """What the date columns of a file say about their order."""

    order: str | None = None  # "dmy" / "mdy" when the data settles it
    evidence: Example | None = None  # the first value that settled it
    conflict: tuple[Example, Example] | None = None  # (day first, month first)
    ambiguous: list[Example] = field(default_factory=list)  # up to EXAMPLES values readable both ways
    columns: list[str] = field(default_factory=list)  # the date columns looked at

    @property
    def needs_choice(self) -> bool:
        return self.order is None and self.conflict is None and bool(self.ambiguous)


def parts(text: str) -> re.Match | None:
    return SHAPE.match(text.strip())


def read(text: str, order: str | None, match: re.Match | None = None) -> datetime | None:
    """A day/month date in the given order, naive unless the value names its zone. None when the
    text is not of that shape or not a date in that order; raises Ambiguous when order is None
    and the value reads as two different dates."""
    match = match or parts(text)
    if match is None:
        return None
    first, second = int(match[1]), int(match[3])
    if not (first and second) or min(first, second) > 12:
        return None  # 00/05/2010, 13/14/2010: no date in either order
    if order is None:
        if first > 12 >= second:
            order = "dmy"
        elif second > 12 >= first:
            order = "mdy"
        elif first == second:
            order = "dmy"  # 05/05/2010: both readings are the same date
        else:
            raise Ambiguous(text)
    day, month = (first, second) if order == "dmy" else (second, first)
    year = int(match[4])
    if len(match[4]) == 2:  # what strptime's %y does: 69-99 are 1900s, 00-68 are 2000s
        year += 1900 if year >= 69 else 2000
    hour, minute, second_ = int(match[5] or 0), int(match[6] or 0), int(match[7] or 0)
    if match[8]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[8] in "Pp" else 0)
    try:
        moment = datetime(year, month, day, hour, minute, second_)
    except ValueError:
        return None
    return moment.replace(tzinfo=_zone(match[9])) if match[9] else moment


def _zone(text: str) -> timezone:
    if text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# The date part alone: it is all the decision needs, and its first ten characters decide it, so a
# column of 100,000 rows costs a few thousand regex matches and dictionary look-ups for the rest.
_DATE_PART = re.compile(r"\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")


def _kind(head: str) -> str | None:
    """"dmy" / "mdy" when a date's first ten characters settle the order, "both" when it reads
    as two different dates, None when it is no day/month date or the same date either way."""
    match = _DATE_PART.match(head)
    if match is None:
        return None
    first, second = int(match[1]), int(match[3])
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return "both" if first != second and first and second and first <= 12 else None


def examine(rows: Iterable[tuple[int, list[str]]], columns: dict[int, str]) -> Reading:
    """Scan every row's date cells (columns: index -> header) and say what they settle."""
    reading = Reading(columns=list(columns.values()))
    found: dict[str, Example] = {}
    kinds: dict[str, str | None] = {}
    indexes = list(columns.items())
    for number, cells in rows:
        for index, column in indexes:
            if index >= len(cells):
                continue
            cell = cells[index]
            head = cell[:10] if cell[:1].isdigit() else cell.strip()[:10]
            kind = kinds[head] if head in kinds else kinds.setdefault(head, _kind(head))
            if kind is None or kind in found:
                continue
            cell = cell.strip()
            if kind == "both":
                if len(reading.ambiguous) < EXAMPLES and all(e.value != cell for e in reading.ambiguous):
                    reading.ambiguous.append(Example(number, column, cell))
                continue
            found[kind] = Example(number, column, cell)
            if len(found) == 2:
                reading.conflict = (found["dmy"], found["mdy"])
                return reading
    if found:
        (reading.order, reading.evidence), = found.items()
    return reading


def date_columns(prepared) -> dict[int, str]:
    """The file's columns that hold dates under this mapping (index -> header)."""
    out = {}
    for index, target in prepared.targets.items():
        name = target[6:] if target.startswith("field:") else None
        if target == "occurred_at" or (name and prepared.fields.get(name, {}).get("type") in DATE_TYPES):
            out[index] = prepared.header[index]
    return out


def examine_file(path: Path, mapping_json: dict) -> Reading:
    """Read the whole file's date columns under this mapping; raises mapping.RowError when the
    mapping does not fit the file."""
    from testigo.surveys import mapping, tabular

    table = tabular.read_table(path)
    prepared = mapping.prepare(mapping_json, table.header)
    columns = date_columns(prepared)
    rows: Iterator = table.rows if columns else iter(())
    return examine(rows, columns)


def settle(mapping_json: dict, path: Path, chosen: str | None = None) -> dict:
    """The mapping with its "date_order" decided: by the data when it can, else by `chosen`
    ("dmy"/"mdy", what staff picked). Raises Undecided when the data cannot tell and nothing was
    chosen, Inconsistent when the dates mix both orders, Contradicted when `chosen` is not the order
    the data settles. A mapping that does not fit the file is returned as it is (set_mapping
    refuses it with its own reason)."""
    from testigo.surveys import mapping

    try:
        reading = examine_file(path, mapping_json)
    except mapping.RowError:
        return mapping_json
    result = {k: v for k, v in mapping_json.items() if k != "date_order"}
    if reading.conflict:
        raise Inconsistent(reading)
    if reading.order:
        if chosen in ORDERS and chosen != reading.order:
            raise Contradicted(reading, chosen)
        result["date_order"] = reading.order
    elif reading.ambiguous:
        chosen = chosen or mapping_json.get("date_order")
        if chosen not in ORDERS:
            raise Undecided(reading)
        result["date_order"] = chosen
    return result
