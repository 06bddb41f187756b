"""From a survey's answers to a report: one mapping used by ODK submissions, the public form and
spreadsheet imports, so a value means the same thing wherever it came from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from testigo.surveys import fieldtypes, schema

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


def report_fields(survey, values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for reports.services.create_report/update_report from the answers."""
    by_name = {f["name"]: f for f in survey.fields}
    title = _text_answer(values, survey.title_field) or _first_text(survey, values)
    title = f"{survey.name_es}: {title}" if title and not survey.title_field else (title or survey.name_es)
    description = _text_answer(values, survey.description_field) or describe(survey, values) or title
    lat = lon = None
    location = next((values[f["name"]] for f in survey.fields
                     if f["type"] == "location" and f["name"] in values), None)
    if location:
        lat, lon = location["lat"], location["lon"]
    occurred = values.get(survey.occurred_field) if survey.occurred_field in by_name else None
    return {"title": title[:200], "description": description[:10000], "lat": lat, "lon": lon,
            "occurred_at": to_datetime(occurred), "custom_values": custom_values(survey, values)}


def _text_answer(values: dict, name: str) -> str:
    value = values.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def _first_text(survey, values: dict) -> str:
    for field in survey.fields:
        if field["type"] in {"text", "long_text"} and values.get(field["name"]):
            return values[field["name"]][:120]
    return ""


def describe(survey, values: dict) -> str:
    """The answers as "label: value" lines (Spanish labels, the organisation's language)."""
    lines = []
    for field in survey.fields:
        if field["name"] in values and field["type"] != "location":
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
