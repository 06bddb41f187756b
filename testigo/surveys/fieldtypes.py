"""The one registry of survey field types.

A field spec is a plain dict kept in `Survey.fields` (JSON):

    {"name": "edad", "type": "integer", "label": {"es": "Edad", "en": "Age"},
     "hint": {"es": "", "en": ""}, "required": False, "appearance": "",
     "choices": [{"name": "si", "label": {"es": "Sí", "en": "Yes"}}],
     "relevant": {"field": "otro", "value": "si"} | None,
     "constraint": ". >= 0", "constraint_message": {"es": "...", "en": "..."},   # optional
     "default": "0",                        # optional, a fixed answer the form starts with
     "calculation": "${a} + ${b}"}          # type "calculate" only (computed by ODK Collect)

Each type knows its XLSForm name, how to turn a submitted string into the JSON value stored in
`Report.custom_values`, and how to show a stored value. XLSForm import, XForm generation,
OpenRosa submissions, the public form and CSV imports all ask this module; none of them has a
branch per type.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.core.numbers import parse_decimal, parse_whole

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# Names the XForm itself uses, or that Testigo keeps for its own bookkeeping in custom_values.
RESERVED_NAMES = {"meta", "instanceID", "instanceName", "deprecatedID", "data"}
MAX_TEXT = 10_000
LANGS = ("es", "en")


class FieldValueError(ValueError):
    """A submitted value that does not fit its field; the message is translated."""


def _text(value: str, field: dict) -> str:
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise FieldValueError(_("The text is longer than %(max)s characters.") % {"max": MAX_TEXT})
    return value


# "2,5" and "2.5" alike, and "1.000" / "1,000" as a thousand: core/numbers.py.
def _integer(value: str, field: dict) -> int:
    try:
        number = parse_whole(value)
    except ValueError:
        number = None
    if number is None:
        raise FieldValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    return number


def _decimal(value: str, field: dict) -> float:
    try:
        number = parse_decimal(value)
    except ValueError:
        number = None
    if number is None:
        raise FieldValueError(_("“%(value)s” is not a number.") % {"value": value})
    return number


def choice_names(field: dict) -> list[str]:
    return [c["name"] for c in field.get("choices") or []]


def _select_one(value: str, field: dict) -> str:
    value = value.strip()
    if value not in choice_names(field):
        raise FieldValueError(_("“%(value)s” is not one of the choices.") % {"value": value})
    return value


def _select_multiple(value: str, field: dict) -> list[str]:
    # XForms separate selected names with spaces; spreadsheets often use commas or semicolons.
    names = [v for v in re.split(r"[\s,;]+", value.strip()) if v]
    allowed = choice_names(field)
    bad = [n for n in names if n not in allowed]
    if bad:
        raise FieldValueError(_("“%(value)s” is not one of the choices.") % {"value": bad[0]})
    return [n for n in allowed if n in names]  # choice order, no duplicates


def _date(value: str, field: dict) -> str:
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        raise FieldValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from None


def _time(value: str, field: dict) -> str:
    match = re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?", value.strip())
    try:
        if not match:
            raise ValueError
        return time(int(match[1]), int(match[2]), int(match[3] or 0)).isoformat()
    except ValueError:
        raise FieldValueError(_("“%(value)s” is not a time (HH:MM).") % {"value": value}) from None


def _datetime(value: str, field: dict) -> str:
    try:
        return datetime.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise FieldValueError(_("“%(value)s” is not a date and time.") % {"value": value}) from None


def _location(value: str, field: dict) -> dict:
    # XForm geopoint: "lat lon [altitude [accuracy]]"; spreadsheets may use a comma.
    parts = [p for p in re.split(r"[\s,]+", value.strip()) if p]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) < 2 or not all(math.isfinite(n) for n in numbers):
        raise FieldValueError(_("“%(value)s” is not a location (latitude longitude).") % {"value": value})
    lat, lon = numbers[0], numbers[1]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise FieldValueError(_("The location %(value)s is out of range.") % {"value": value})
    point = {"lat": lat, "lon": lon}
    if len(numbers) > 2:
        point["alt"] = numbers[2]
    if len(numbers) > 3:
        point["acc"] = numbers[3]
    return point


def _filename(value: str, field: dict) -> str:
    value = value.strip()
    if "/" in value or "\\" in value or value.startswith(".") or len(value) > 200:
        raise FieldValueError(_("“%(value)s” is not a valid file name.") % {"value": value})
    return value


def _show_location(value: Any) -> str:
    return f"{value['lat']} {value['lon']}" if isinstance(value, dict) else str(value)


def _show_list(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


@dataclass(frozen=True)
class FieldType:
    key: str
    label: Any
    xlsform: str  # the XLSForm `type` cell (selects add " <list_name>")
    parse: Callable[[str, dict], Any] | None  # None: shows text, stores nothing (note)
    show: Callable[[Any], str] = str
    choices: bool = False
    media: bool = False
    appearance: str = ""  # appearance that tells two types apart in XLSForm (long text)
    metadata: bool = False  # filled by the client (start, end...), never asked
    group: str = ""  # "begin" / "end": a group of questions (shown together, one condition)


_TYPES = [
    FieldType("text", gettext_lazy("Text"), "text", _text),
    FieldType("long_text", gettext_lazy("Long text"), "text", _text, appearance="multiline"),
    FieldType("integer", gettext_lazy("Whole number"), "integer", _integer),
    FieldType("decimal", gettext_lazy("Decimal number"), "decimal", _decimal),
    FieldType("select_one", gettext_lazy("Choose one"), "select_one", _select_one, choices=True),
    FieldType("select_multiple", gettext_lazy("Choose several"), "select_multiple", _select_multiple,
              show=_show_list, choices=True),
    FieldType("date", gettext_lazy("Date"), "date", _date),
    FieldType("time", gettext_lazy("Time"), "time", _time),
    FieldType("datetime", gettext_lazy("Date and time"), "dateTime", _datetime),
    FieldType("location", gettext_lazy("Location (GPS point)"), "geopoint", _location, show=_show_location),
    FieldType("photo", gettext_lazy("Photo"), "image", _filename, media=True),
    FieldType("file", gettext_lazy("File"), "file", _filename, media=True),
    FieldType("note", gettext_lazy("Note (text shown, nothing asked)"), "note", None),
    FieldType("begin_group", gettext_lazy("Group: start (questions until its end are shown together)"),
              "begin_group", None, group="begin"),
    FieldType("end_group", gettext_lazy("Group: end"), "end_group", None, group="end"),
    FieldType("start", gettext_lazy("Metadata: start time"), "start", _datetime, metadata=True),
    FieldType("end", gettext_lazy("Metadata: end time"), "end", _datetime, metadata=True),
    FieldType("today", gettext_lazy("Metadata: day of the survey"), "today", _date, metadata=True),
    FieldType("deviceid", gettext_lazy("Metadata: device id"), "deviceid", _text, metadata=True),
    # Computed by ODK Collect from its `calculation` and stored as the phone sent it; Testigo's
    # own web form does not evaluate XPath, so web reports leave it empty.
    FieldType("calculate", gettext_lazy("Calculated by ODK Collect (stored as sent)"), "calculate", _text,
              metadata=True),
]
REGISTRY: dict[str, FieldType] = {t.key: t for t in _TYPES}
XLSFORM_ALIASES = {"datetime": "dateTime", "select one": "select_one", "select multiple": "select_multiple",
                   "photo": "image", "location": "geopoint", "int": "integer", "begin group": "begin_group",
                   "end group": "end_group"}


def get(key: str) -> FieldType:
    return REGISTRY[key]


def choices_for_builder() -> list[tuple[str, Any]]:
    return [(t.key, t.label) for t in _TYPES]


def from_xlsform(type_cell: str, appearance: str = "") -> tuple[FieldType | None, str]:
    """(field type, list name) for an XLSForm `type` cell; (None, "") when Testigo lacks it."""
    words = type_cell.strip().split()
    if len(words) >= 2 and " ".join(words[:2]) in XLSFORM_ALIASES:  # "begin group", "select one L"
        words = [XLSFORM_ALIASES[" ".join(words[:2])], *words[2:]]
    if not words:
        return None, ""
    head = XLSFORM_ALIASES.get(words[0], words[0])
    if head in {"select_one", "select_multiple"}:
        if len(words) != 2:
            return None, ""
        return REGISTRY[head], words[1]
    if len(words) != 1:
        return None, ""
    if head == "text" and "multiline" in appearance.split():
        return REGISTRY["long_text"], ""
    match = next((t for t in _TYPES if t.xlsform == head and not t.appearance), None)
    return match, ""


def xlsform_type(field: dict) -> str:
    ftype = REGISTRY[field["type"]]
    return f"{ftype.xlsform} {field['name']}_choices" if ftype.choices else ftype.xlsform


def parse_value(field: dict, raw: str) -> Any:
    """The JSON value stored for `raw` (a submitted string); raises FieldValueError."""
    ftype = REGISTRY[field["type"]]
    if ftype.parse is None:
        return None
    return ftype.parse(raw, field)


def show_value(field: dict, value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    return REGISTRY[field["type"]].show(value)


def stores_value(field: dict) -> bool:
    return REGISTRY[field["type"]].parse is not None


def label(field: dict, lang: str = "es", key: str = "label") -> str:
    texts = field.get(key) or {}
    return texts.get(lang[:2]) or texts.get("es") or texts.get("en") or (field["name"] if key == "label" else "")
