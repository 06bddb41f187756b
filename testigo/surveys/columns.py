"""A survey's answers as table columns: headings, cell text and filters on `Report.custom_values`.

One module for every place that shows answers as columns — the survey's answers page, the
staff inbox (filtered to a category or survey that has one) and the staff CSV export — so a
column has the same heading, the same cell text and the same filter wherever it appears.

Answers are read only from reports whose `custom_values` name this survey (the `_survey` key):
a report from another survey or category shows empty cells, never another survey's values
under a column with the same field name.

Filters are JSON key lookups built by the ORM, so they run in the database on SQLite and on
PostgreSQL alike. Field names are used as JSON keys through `KeyTransform`, never spliced into
`filter(**{...})` keywords, so a question called `contains` or `in` cannot become a lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db import connection
from django.db.models import ExpressionWrapper, F, JSONField, Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.lookups import Lookup
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from testigo.core.bilingual import in_language
from testigo.core.numbers import DecimalNumberField, WholeNumberField
from testigo.surveys import fieldtypes
from testigo.surveys.answers import SURVEY_KEY

JSON_COLUMN = "custom_values"
# How a column can be filtered, by field type. Types not listed (time, location, photo, file)
# are shown but not filtered.
CHOICE, MULTI, TEXT, NUMBER, DECIMAL, DAY = "choice", "multi", "text", "number", "decimal", "day"
FILTER_KIND = {"select_one": CHOICE, "select_multiple": MULTI, "text": TEXT, "long_text": TEXT,
               "deviceid": TEXT, "integer": NUMBER, "decimal": DECIMAL, "date": DAY, "today": DAY,
               "datetime": DAY, "start": DAY, "end": DAY}
PARAM_PREFIX = "a-"  # query-string names of answer filters: a-<field>, a-<field>-min, a-<field>-max


def value_fields(survey) -> list[dict]:
    """The fields that hold values, in order: one table/export column each."""
    return [f for f in survey.fields if fieldtypes.stores_value(f)]


def _texts(spec: dict, lang: str | None, key: str = "label") -> str:
    """A bilingual text of a field or choice in `lang` (the active language when None)."""
    spanish = fieldtypes.label(spec, "es", key)  # Spanish, else English, else the name
    english = (spec.get(key) or {}).get("en") or ""
    if lang is None:
        return in_language(spanish, english)
    with override(lang):
        return in_language(spanish, english)


@dataclass(frozen=True)
class Cell:
    text: str
    link: bool = False  # a file answer: staff get a link to it


@dataclass(frozen=True)
class Column:
    """One answer column, with its texts fixed in one language when it is built."""

    spec: dict
    heading: str
    choice_labels: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def type(self) -> str:
        return self.spec["type"]

    @property
    def is_file(self) -> bool:
        return fieldtypes.get(self.type).media

    def text(self, value: Any) -> str:
        """A stored value as cell text: choices by label, several choices joined, a location as
        "lat,lon", anything else as the field type shows it."""
        if value is None or value == "" or value == []:
            return ""
        if self.choice_labels:
            names = value if isinstance(value, list) else [value]
            return ", ".join(self.choice_labels.get(str(n), str(n)) for n in names)
        if self.type == "location" and isinstance(value, dict):
            return f"{value.get('lat')},{value.get('lon')}"
        return fieldtypes.show_value(self.spec, value)


def table_columns(survey, lang: str | None = None) -> list[Column]:
    """The survey's columns with headings and choice labels in `lang` (default: the active
    language, through core.bilingual)."""
    return [Column(spec=f, heading=_texts(f, lang),
                   choice_labels={c["name"]: _texts(c, lang) for c in f.get("choices") or []})
            for f in value_fields(survey)]


def answers_of(survey, custom_values: dict | None) -> dict:
    """The report's answers when they belong to this survey; {} otherwise."""
    values = custom_values if isinstance(custom_values, dict) else {}
    return values if values.get(SURVEY_KEY) == survey.pk else {}


def cells(survey, columns: list[Column], custom_values: dict | None) -> list[Cell]:
    values = answers_of(survey, custom_values)
    return [Cell(column.text(values.get(column.name)), link=column.is_file and bool(values.get(column.name)))
            for column in columns]


def export_columns(survey, language: str) -> list[tuple[str, Callable[[dict], str]]]:
    """(header, cell) pairs for adding this survey's answers to a CSV export: `cell` takes a
    report's custom_values and returns the cell text (empty for a report of another survey).
    Headers are the question labels in `language`; a label used twice gets its field name added.
    Cells starting like a spreadsheet formula are defused, as in the answers page export."""
    from testigo.core.csvsafe import spreadsheet_safe

    columns = table_columns(survey, language)
    seen = [c.heading for c in columns]
    result = []
    for column in columns:
        header = column.heading if seen.count(column.heading) == 1 else f"{column.heading} ({column.name})"

        def cell(custom_values: dict, column: Column = column) -> str:
            return spreadsheet_safe(column.text(answers_of(survey, custom_values).get(column.name)))

        result.append((header, cell))
    return result


# --- Filters ---------------------------------------------------------------------------------

def _column():
    # Typed up front: a lookup prepares its value (JSON for `exact`) from its left side's field
    # when it is built, before the query resolves a bare F().
    return ExpressionWrapper(F(JSON_COLUMN), output_field=JSONField())


def _key(name: str) -> KeyTransform:
    return KeyTransform(name, _column())


def _lookup(lhs, lookup_name: str, value) -> Lookup:
    return lhs.get_lookup(lookup_name)(lhs, value)


def belongs_to(survey) -> Q:
    """Reports whose answers are this survey's."""
    return Q(_lookup(_key(SURVEY_KEY), "exact", survey.pk))


def answer_condition(spec: dict, op: str, value: Any) -> Q:
    """A database condition on one answer. `op` is "eq" (equals the stored value), "has" (a
    select-multiple answer includes every choice in the list `value`; names that are not
    choices match nothing), "contains" (text, ignoring case), "min" / "max" (numbers; dates and
    date-times given as a date, both ends included)."""
    name = spec["name"]
    if op == "has":
        if any(choice not in fieldtypes.choice_names(spec) for choice in value):
            return Q(pk__in=[])
        if connection.features.supports_json_field_contains:  # PostgreSQL: jsonb @> '["choice"]'
            return Q(_lookup(_key(name), "contains", list(value)))
        # SQLite has no JSON containment; choice names are plain ([A-Za-z0-9_.-]), so the quoted
        # name inside the array's JSON text is that choice, never part of another one.
        text = KeyTextTransform(name, _column())
        return Q(*[_lookup(text, "contains", f'"{choice}"') for choice in value])
    if op == "contains":
        return Q(_lookup(_key(name), "icontains", value))
    if op in ("min", "max") and isinstance(value, date):
        if op == "min":
            return Q(_lookup(_key(name), "gte", value.isoformat()))
        # Stored date-times ("2026-03-01T10:00:00") sort after the bare day, so the last day is
        # included by comparing with the next one.
        return Q(_lookup(_key(name), "lt", (value + timedelta(days=1)).isoformat()))
    if op in ("min", "max"):
        return Q(_lookup(_key(name), "gte" if op == "min" else "lte", value))
    return Q(_lookup(_key(name), "exact", value))


def filter_fields(survey, lang: str | None = None) -> dict[str, forms.Field]:
    """Form fields for filtering the inbox by answers, keyed by query-string name. Their errors
    are the form's own (translated), so bad input is reported, never a 500."""
    fields: dict[str, forms.Field] = {}
    for column in table_columns(survey, lang):
        kind = FILTER_KIND.get(column.type)
        param = PARAM_PREFIX + column.name
        if kind in (CHOICE, MULTI):
            fields[param] = forms.ChoiceField(label=column.heading, required=False,
                                              choices=[("", "—"), *column.choice_labels.items()])
        elif kind == TEXT:
            fields[param] = forms.CharField(label=column.heading, required=False, max_length=200,
                                            widget=forms.TextInput(attrs={"placeholder": _("contains…")}))
        elif kind in (NUMBER, DECIMAL, DAY):
            for end, text in (("min", _("%(question)s (from)")), ("max", _("%(question)s (to)"))):
                label = text % {"question": column.heading}
                if kind == NUMBER:
                    fields[f"{param}-{end}"] = WholeNumberField(label=label, required=False)
                elif kind == DECIMAL:
                    fields[f"{param}-{end}"] = DecimalNumberField(label=label, required=False)
                else:
                    fields[f"{param}-{end}"] = forms.DateField(
                        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    return fields


def filter_conditions(survey, cleaned: dict) -> list[Q]:
    """The conditions for the answer filters a form cleaned (see filter_fields); none when no
    answer filter is set. Any condition also requires the answers to be this survey's."""
    conditions = []
    for spec in value_fields(survey):
        kind = FILTER_KIND.get(spec["type"])
        param = PARAM_PREFIX + spec["name"]
        if kind in (CHOICE, MULTI, TEXT):
            value = (cleaned.get(param) or "").strip()
            if value:
                op = {CHOICE: "eq", MULTI: "has", TEXT: "contains"}[kind]
                conditions.append(answer_condition(spec, op, [value] if kind == MULTI else value))
        elif kind in (NUMBER, DECIMAL, DAY):
            for end in ("min", "max"):
                value = cleaned.get(f"{param}-{end}")
                if value is not None:
                    conditions.append(answer_condition(spec, end, value))
    return [belongs_to(survey), *conditions] if conditions else []


def labelled_answers(custom_values: dict | None) -> list[tuple[str, str]]:
    """A report's answers as (question, answer) pairs for its staff page: labelled by its survey
    when it names one that still exists, else the raw keys (imports can carry extra columns).
    Bookkeeping keys (starting with "_") are never shown."""
    from testigo.surveys.models import Survey

    values = custom_values if isinstance(custom_values, dict) else {}
    survey = Survey.objects.filter(pk=values.get(SURVEY_KEY)).first() if values.get(SURVEY_KEY) else None
    if survey is None:
        return [(str(key), str(value)) for key, value in values.items() if not str(key).startswith("_")]
    return [(column.heading, text) for column in table_columns(survey)
            if (text := column.text(values.get(column.name)))]


def imported_columns(custom_values: dict | None) -> list[tuple[str, str]]:
    """The columns of an imported file that no destination took (kept so nothing is lost), as
    (column, value) pairs for the staff report page, with the record's id in the other system."""
    from testigo.surveys.mapping import EXTRA_KEY

    values = custom_values if isinstance(custom_values, dict) else {}
    extra = values.get(EXTRA_KEY)
    pairs = [(str(column), str(value)) for column, value in (extra.items() if isinstance(extra, dict) else [])
             if str(value).strip()]
    if values.get("_external_id"):
        pairs.insert(0, (str(gettext_lazy("Identifier in the original system")), str(values["_external_id"])))
    return pairs
