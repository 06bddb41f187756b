"""From a survey's answers to a report: one mapping used by ODK submissions, the public form and
spreadsheet imports, so a value means the same thing wherever it came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.surveys import fieldtypes, schema, xform

SURVEY_KEY = "_survey"  # custom_values key naming the survey the answers belong to


class AnswerError(ValueError):
    """Answers that do not fit the survey; the message is translated and names the field."""


def clean_answers(survey, raw: dict[str, str], *, enforce_required: bool = True) -> dict[str, Any]:
    """Parse submitted strings into stored values; checks choices, types, conditions and (unless
    told not to, as for paper records that are often incomplete) required answers."""
    values: dict[str, Any] = {}
    groups: list[bool] = []  # is each enclosing group shown? (its condition, decided so far)
    for field in survey.fields:
        kind = fieldtypes.get(field["type"]).group
        if kind == "end":
            groups = groups[:-1]
            continue
        shown = all(groups) and schema.condition_holds(field.get("relevant"), values)
        if kind == "begin":
            groups.append(shown)
            continue
        if not fieldtypes.stores_value(field):
            continue
        text = (raw.get(field["name"]) or "").strip()
        if not text or not shown:
            if enforce_required and shown and field.get("required") and not fieldtypes.get(field["type"]).metadata:
                raise AnswerError(_("“%(label)s” is required.") % {"label": fieldtypes.label(field)})
            continue
        try:
            values[field["name"]] = fieldtypes.parse_value(field, text)
        except fieldtypes.FieldValueError as exc:
            raise AnswerError(f"{fieldtypes.label(field)}: {exc}") from None
        if field.get("constraint") and not schema.constraint_holds(field, values[field["name"]]):
            raise AnswerError(f"{fieldtypes.label(field)}: {constraint_message(field)}")
    return values


def constraint_message(field: dict) -> str:
    """The form's own constraint message (in the current language), else a plain one."""
    from django.utils.translation import get_language

    return fieldtypes.label(field, get_language() or "es", "constraint_message") or \
        _("“%(constraint)s” is not met.") % {"constraint": field["constraint"]}


def custom_values(survey, values: dict[str, Any]) -> dict[str, Any]:
    return {SURVEY_KEY: survey.pk, **values}


def values_from_data(survey, data: dict) -> dict[str, Any]:
    """The answers outside repeats of a submission of any shape (xform.instance_answers), as the
    values the survey's fields store. ODK Collect already checked them against the form: a
    value Testigo would read differently is kept as sent, never refused."""
    values: dict[str, Any] = {}
    for spec in survey.fields:
        if not fieldtypes.stores_value(spec):
            continue
        raw = xform.value_at(data, spec.get("path") or spec["name"])
        if not isinstance(raw, str) or not raw.strip():
            continue
        try:
            values[spec["name"]] = fieldtypes.parse_value(spec, raw)
        except fieldtypes.FieldValueError:
            values[spec["name"]] = raw.strip()
    return values


def report_fields(survey, values: dict[str, Any], *, extra_description: str = "") -> dict[str, Any]:
    """Keyword arguments for reports.services.create_report/update_report from the answers.
    Each of title, description, date and location comes from the field the survey maps to it,
    else from the first answer that fits (first text, first date, first GPS point)."""
    title = _text_answer(values, survey.title_field) or _first_text(survey, values)
    title = f"{survey.name_es}: {title}" if title and not survey.title_field else (title or survey.name_es)
    description = _text_answer(values, survey.description_field) or describe(survey, values) or title
    if extra_description:
        description = f"{description}\n{extra_description}"
    lat = lon = None
    location = _mapped(survey, values, survey.location_field, {"location"})
    if isinstance(location, dict):
        lat, lon = location["lat"], location["lon"]
    occurred = _mapped(survey, values, survey.occurred_field, {"date", "datetime"})
    return {"title": title[:200], "description": description[:10000], "lat": lat, "lon": lon,
            "occurred_at": to_datetime(occurred), "custom_values": custom_values(survey, values)}


def _mapped(survey, values: dict, name: str, types: set[str]):
    """The answer of the mapped field, else of the first answered field of those types."""
    if name:
        return values.get(name)
    return next((values[f["name"]] for f in survey.fields if f["type"] in types and f["name"] in values), None)


def report_categories(survey, values: dict[str, Any]) -> list | None:
    """The survey's category, or the category named by the mapped choice answer (its choice name
    or label matching a category's slug or name)."""
    from testigo.reports.models import Category

    if survey.category_field and values.get(survey.category_field):
        answer = values[survey.category_field]
        spec = next((f for f in survey.fields if f["name"] == survey.category_field), {})
        names = answer if isinstance(answer, list) else [answer]
        keys = set()
        for name in names:
            choice = next((c for c in spec.get("choices") or [] if c["name"] == name), {})
            keys |= {str(name).casefold(), *(t.casefold() for t in (choice.get("label") or {}).values())}
        found = [c for c in Category.objects.all() if {c.slug.casefold(), c.name_es.casefold(),
                                                       c.name_en.casefold()} & keys]
        if found:
            return found
    return [survey.category] if survey.category else None


def _text_answer(values: dict, name: str) -> str:
    value = values.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def _first_text(survey, values: dict) -> str:
    for field in survey.fields:
        # Free text only: an XLSForm question shown as text (a barcode, a choice from a file) is a code.
        if field["type"] in {"text", "long_text"} and not field.get("xform_type") and values.get(field["name"]):
            return values[field["name"]][:120]
    return ""


def describe(survey, values: dict) -> str:
    """The answers as "label: value" lines (Spanish labels, the organisation's language)."""
    lines = []
    for field in survey.fields:
        if field["name"] in values and field["type"] not in {"location", "start", "end", "today", "deviceid",
                                                              "calculate"}:
            lines.append(f"{fieldtypes.label(field, 'es')}: {fieldtypes.show_value(field, values[field['name']])}")
    return "\n".join(lines)


def to_datetime(value: Any) -> date | datetime | None:
    """A stored date-time answer as an aware datetime (local time); a date answer as the date
    alone, which the report service stores as that day with the time unknown."""
    if not value:
        return None
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def photo_names(survey, values: dict) -> set[str]:
    return {values[f["name"]] for f in survey.fields if f["type"] == "photo" and f["name"] in values}
