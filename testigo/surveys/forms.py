"""The survey fields of the public report form (for the category the reporter chose).

The public form (testigo/public) adds these with:

    survey = survey_for(category)
    form.fields.update(survey_form_fields(category))            # names start with "survey__"
    custom_values = clean_survey_values(survey, request.POST, request.FILES)   # ValidationError
    create_report(..., custom_values=custom_values,
                  photos=photos + survey_photos(survey, request.FILES))

Conditions ("show when X is Y") are carried as data-show-when-* attributes for progressive
enhancement; without JS every question is shown and the server ignores answers to hidden ones
and asks required questions only when they are shown.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from testigo.core.numbers import DecimalNumberField, WholeNumberField
from testigo.surveys import answers, fieldtypes, selectors

PREFIX = "survey__"


def survey_for(category):
    return selectors.survey_for_category(category)


def _widget_attrs(spec: dict) -> dict:
    condition = spec.get("relevant")
    if not condition:
        return {}
    return {"data-show-when-field": PREFIX + condition["field"], "data-show-when-value": condition["value"]}


def _choices(spec: dict, lang: str) -> list[tuple[str, str]]:
    return [(c["name"], fieldtypes.label(c, lang)) for c in spec.get("choices") or []]


# Django form field per type: (field class, widget factory). One table, no branch per type.
_FORM_FIELDS = {
    "text": (forms.CharField, lambda a: forms.TextInput(attrs=a)),
    "long_text": (forms.CharField, lambda a: forms.Textarea(attrs={"rows": 4, **a})),
    # Text inputs with a numeric keypad: type=number refuses "2,5" (core/numbers.py reads both).
    "integer": (WholeNumberField, lambda a: forms.TextInput(attrs={"inputmode": "numeric", **a})),
    "decimal": (DecimalNumberField, lambda a: forms.TextInput(attrs={"inputmode": "decimal", **a})),
    "select_one": (forms.ChoiceField, lambda a: forms.RadioSelect(attrs=a)),
    "select_multiple": (forms.MultipleChoiceField, lambda a: forms.CheckboxSelectMultiple(attrs=a)),
    "date": (forms.CharField, lambda a: forms.DateInput(attrs={"type": "date", **a})),
    "time": (forms.CharField, lambda a: forms.TimeInput(attrs={"type": "time", **a})),
    "datetime": (forms.CharField, lambda a: forms.DateTimeInput(attrs={"type": "datetime-local", **a})),
    "location": (forms.CharField, lambda a: forms.TextInput(attrs={"placeholder": "14.0723 -87.1921", **a})),
    "photo": (forms.FileField, lambda a: forms.ClearableFileInput(attrs={"accept": "image/*", **a})),
    "file": (forms.FileField, lambda a: forms.ClearableFileInput(attrs=a)),
}


def survey_form_fields(category, lang: str | None = None) -> dict[str, forms.Field]:
    """Form fields (name -> field) for the category's survey; empty when it has none."""
    from django.utils.translation import get_language

    survey = survey_for(category)
    if survey is None:
        return {}
    lang = (lang or get_language() or "es")[:2]
    out: dict[str, forms.Field] = {}
    for spec in survey.fields:
        if spec["type"] not in _FORM_FIELDS:
            continue  # notes and metadata have nothing to ask on the web
        field_class, widget = _FORM_FIELDS[spec["type"]]
        kwargs = {"label": fieldtypes.label(spec, lang), "help_text": fieldtypes.label(spec, lang, "hint"),
                  "required": False, "widget": widget(_widget_attrs(spec))}
        if fieldtypes.get(spec["type"]).choices:
            kwargs["choices"] = _choices(spec, lang)
        if spec.get("default") not in (None, ""):  # the XLSForm `default`: the answer the form starts with
            default = str(spec["default"])
            kwargs["initial"] = default.split() if spec["type"] == "select_multiple" else default
        field = field_class(**kwargs)
        field.survey_required = bool(spec.get("required"))  # enforced by clean_survey_values
        out[PREFIX + spec["name"]] = field
    return out


def _raw(survey, data, files) -> dict[str, str]:
    raw = {}
    for spec in survey.fields:
        key = PREFIX + spec["name"]
        if fieldtypes.get(spec["type"]).media:
            upload = files.get(key) if files else None
            raw[spec["name"]] = upload.name.rsplit("/", 1)[-1] if upload else ""
        elif spec["type"] == "select_multiple":
            values = data.getlist(key) if hasattr(data, "getlist") else (data.get(key) or [])
            raw[spec["name"]] = " ".join(values if isinstance(values, list) else [values])
        else:
            value = data.get(key, "")
            raw[spec["name"]] = "" if value is None else str(value)
    return raw


def clean_survey_values(survey, data, files=None) -> dict:
    """What to store in Report.custom_values for these answers (raw POST data and FILES).
    Raises django ValidationError with a translated message naming the question."""
    if survey is None:
        return {}
    try:
        values = answers.clean_answers(survey, _raw(survey, data, files))
    except answers.AnswerError as exc:
        raise ValidationError(str(exc)) from None
    return answers.custom_values(survey, values)


def survey_photos(survey, files) -> list[tuple[str, bytes]]:
    """(name, bytes) of photos answered in the form, for create_report(photos=...)."""
    if survey is None or not files:
        return []
    photos = []
    for spec in survey.fields:
        upload = files.get(PREFIX + spec["name"]) if spec["type"] == "photo" else None
        if upload:
            photos.append((upload.name, upload.read()))
    return photos
