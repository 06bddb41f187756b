"""Forms for the survey console pages (the builder edits one field spec at a time, no JS)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from testigo.core.uploads import MultipleFileField
from testigo.reports.models import Category
from testigo.surveys import dateorder, fieldtypes, mapping


def category_tree_choices(categories) -> list[tuple[int, str]]:
    """(id, label) in tree order: each parent followed by its sub-categories, marked "— " as in
    the inbox filter, so a child reads as part of its parent (as on the category page). A child
    whose parent is not among `categories` (an inactive parent) is listed at the top level rather
    than dropped, so a survey attached to it keeps its category when its settings are saved."""
    cats = list(categories)
    ids = {c.id for c in cats}
    choices: list[tuple[int, str]] = []
    for top in (c for c in cats if c.parent_id is None or c.parent_id not in ids):
        choices.append((top.id, top.name))
        choices += [(c.id, f"— {c.name}") for c in cats if c.parent_id == top.id]
    return choices


class SurveyForm(forms.Form):
    name_es = forms.CharField(label=gettext_lazy("Name (Spanish)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Public report form for category"), queryset=Category.objects.filter(is_active=True),
        required=False, help_text=gettext_lazy("People reporting in this category answer this survey too."))
    is_active = forms.BooleanField(label=gettext_lazy("Active (phones can download it)"), required=False,
                                   initial=True)
    title_field = forms.ChoiceField(label=gettext_lazy("Report title from"), required=False)
    description_field = forms.ChoiceField(label=gettext_lazy("Report description from"), required=False)
    occurred_field = forms.ChoiceField(label=gettext_lazy("Date of the events from"), required=False)
    location_field = forms.ChoiceField(label=gettext_lazy("Report location from"), required=False)
    category_field = forms.ChoiceField(label=gettext_lazy("Report category from"), required=False)

    def __init__(self, *args, fields: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.choices = [("", category.empty_label)] + category_tree_choices(
            category.queryset.order_by("position", "name_es"))
        automatic = [("", _("(automatic)"))]
        texts = [(f["name"], fieldtypes.label(f)) for f in fields or [] if f["type"] in {"text", "long_text"}]
        dates = [(f["name"], fieldtypes.label(f)) for f in fields or []
                 if f["type"] in {"date", "datetime", "start", "today"}]
        self.fields["title_field"].choices = automatic + texts
        self.fields["description_field"].choices = automatic + texts
        self.fields["occurred_field"].choices = automatic + dates
        self.fields["location_field"].choices = automatic + [
            (f["name"], fieldtypes.label(f)) for f in fields or [] if f["type"] == "location"]
        # No choice question: the survey's own category (or none) is used.
        self.fields["category_field"].choices = [("", _("(the survey's category)"))] + [
            (f["name"], fieldtypes.label(f)) for f in fields or [] if f["type"] in {"select_one", "select_multiple"}]


def _choice_lines(choices: list[dict]) -> str:
    return "\n".join(f"{c['name']} | {c['label'].get('es', '')} | {c['label'].get('en', '')}" for c in choices)


class FieldForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name (letters, digits and _)"), max_length=64)
    type = forms.ChoiceField(label=gettext_lazy("Type"))
    label_es = forms.CharField(label=gettext_lazy("Question (Spanish)"), max_length=500, required=False)
    label_en = forms.CharField(label=gettext_lazy("Question (English)"), max_length=500, required=False)
    hint_es = forms.CharField(label=gettext_lazy("Hint (Spanish)"), max_length=500, required=False)
    hint_en = forms.CharField(label=gettext_lazy("Hint (English)"), max_length=500, required=False)
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    choices = forms.CharField(
        label=gettext_lazy("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per line: name | Spanish label | English label"))
    show_when_field = forms.ChoiceField(label=gettext_lazy("Show only when field"), required=False)
    show_when_value = forms.CharField(label=gettext_lazy("is"), max_length=100, required=False)
    default = forms.CharField(label=gettext_lazy("Default answer"), max_length=500, required=False,
                              help_text=gettext_lazy("A fixed answer the form starts with (for choices, "
                                                     "the choice name)."))
    constraint = forms.CharField(
        label=gettext_lazy("Constraint"), max_length=500, required=False,
        help_text=gettext_lazy("Optional, as in XLSForm: . >= 0 and . <= 120, string-length(.) <= 10, "
                               "regex(., '^[0-9]{8}$'), count-selected(.) <= 2, . <= today()"))
    constraint_message_es = forms.CharField(label=gettext_lazy("Message when the constraint fails (Spanish)"),
                                            max_length=500, required=False)
    constraint_message_en = forms.CharField(label=gettext_lazy("Message when the constraint fails (English)"),
                                            max_length=500, required=False)
    calculation = forms.CharField(label=gettext_lazy("Calculation (calculated fields only)"), max_length=1000,
                                  required=False, help_text=gettext_lazy(
                                      "An XLSForm calculation, e.g. ${adultos} + ${ninos}. ODK Collect computes "
                                      "it; the web form does not."))

    def __init__(self, *args, others: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = fieldtypes.choices_for_builder()
        self.fields["show_when_field"].choices = [("", _("(always shown)"))] + [
            (f["name"], f"{fieldtypes.label(f)} ({f['name']})") for f in others or [] if fieldtypes.stores_value(f)]

    @classmethod
    def initial_from(cls, spec: dict) -> dict:
        condition = spec.get("relevant") or {}
        return {"name": spec["name"], "type": spec["type"], "required": spec.get("required", False),
                "label_es": (spec.get("label") or {}).get("es", ""), "label_en": (spec.get("label") or {}).get("en", ""),
                "hint_es": (spec.get("hint") or {}).get("es", ""), "hint_en": (spec.get("hint") or {}).get("en", ""),
                "choices": _choice_lines(spec.get("choices") or []),
                "show_when_field": condition.get("field", ""), "show_when_value": condition.get("value", ""),
                "default": spec.get("default", ""), "constraint": spec.get("constraint", ""),
                "constraint_message_es": (spec.get("constraint_message") or {}).get("es", ""),
                "constraint_message_en": (spec.get("constraint_message") or {}).get("en", ""),
                "calculation": spec.get("calculation", "")}

    def clean_choices(self) -> list[dict]:
        choices = []
        for number, line in enumerate(self.cleaned_data["choices"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                raise forms.ValidationError(_("Line %(n)s has no name.") % {"n": number})
            es = parts[1] if len(parts) > 1 and parts[1] else parts[0]
            en = parts[2] if len(parts) > 2 and parts[2] else es
            choices.append({"name": parts[0], "label": {"es": es, "en": en}})
        return choices

    def spec(self, previous: dict | None = None) -> dict:
        data = self.cleaned_data
        spec = dict(previous or {})
        spec.update({"name": data["name"].strip(), "type": data["type"], "required": data["required"],
                     "label": {"es": data["label_es"].strip(), "en": data["label_en"].strip()},
                     "hint": {"es": data["hint_es"].strip(), "en": data["hint_en"].strip()},
                     "relevant": ({"field": data["show_when_field"], "value": data["show_when_value"].strip()}
                                  if data["show_when_field"] else None)})
        if fieldtypes.get(data["type"]).choices:
            # The text box edits names and labels only: a choice keeps what else it had (an
            # XLSForm's media::image, say) as long as its name stays.
            before = {c["name"]: c for c in (previous or {}).get("choices") or []}
            spec["choices"] = [{**before.get(c["name"], {}), **c} for c in data["choices"]]
        else:
            spec.pop("choices", None)
        message = {"es": data["constraint_message_es"].strip(), "en": data["constraint_message_en"].strip()}
        optional = {"default": data["default"].strip(), "constraint": data["constraint"].strip(),
                    "constraint_message": message if any(message.values()) else None,
                    "calculation": data["calculation"].strip() if data["type"] == "calculate" else ""}
        for key, value in optional.items():
            if value:
                spec[key] = value
            else:
                spec.pop(key, None)
        return spec


class MediaFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Image, audio, video or CSV file"))


class XLSFormUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSForm (.xlsx or .xls)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls"}))
    attachments = MultipleFileField(
        label=gettext_lazy("Form attachments (optional)"), required=False,
        help_text=gettext_lazy("Images, audio, video, CSV or GeoJSON lists the form refers to, with the names the "
                               "form uses. They can also be attached later on the survey's page."))
    # Set on a survey's "Upload a new version" box: the file must be a version of that form.
    for_form = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_attachments(self) -> dict[str, bytes]:
        from testigo.surveys.services import MEDIA_MAX_BYTES

        files = {}
        for upload in self.cleaned_data["attachments"]:
            if upload.size > MEDIA_MAX_BYTES:  # refused before reading it into memory
                raise forms.ValidationError(_("“%(name)s” is larger than %(mb)s MB.")
                                            % {"name": upload.name, "mb": MEDIA_MAX_BYTES // 2**20})
            files[upload.name] = upload.read()
        return files


class PassphraseForm(forms.Form):
    passphrase = forms.CharField(label=gettext_lazy("Passphrase"), widget=forms.PasswordInput, max_length=200)


class FormKeyForm(forms.Form):
    """An uploaded XLSForm's own private key, for one decryption (read in memory, never stored)."""

    MAX_BYTES = 64 * 1024  # an RSA key file is about 2 KB
    key = forms.FileField(label=gettext_lazy("Private key file (PEM)"))
    password = forms.CharField(label=gettext_lazy("Key password (if it has one)"), widget=forms.PasswordInput,
                               required=False, max_length=200)

    def clean_key(self) -> bytes:
        upload = self.cleaned_data["key"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("This file is too large to be a private key."))
        return upload.read()


class NewPassphraseForm(PassphraseForm):
    confirm = forms.CharField(label=gettext_lazy("Passphrase again"), widget=forms.PasswordInput, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("passphrase") != data.get("confirm"):
            raise forms.ValidationError(_("The two passphrases differ."))
        return data


class DeviceForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Device name (who carries it)"), max_length=100)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV, XLSX or Ushahidi JSON file"))


class MappingForm(forms.Form):
    """One select per column of the file, plus the survey and the date format."""

    survey = forms.ChoiceField(label=gettext_lazy("Survey for the extra fields"), required=False)
    date_format = forms.CharField(label=gettext_lazy("Date format (optional)"), max_length=40, required=False,
                                  help_text=gettext_lazy("Leave empty: whether the day or the month comes first "
                                                         "is read from the file's dates, or asked below."))
    # Asked only when the file's dates cannot tell (dateorder.py); the view makes it required then.
    date_order = forms.ChoiceField(label=gettext_lazy("How are the dates written?"), required=False,
                                   widget=forms.RadioSelect, choices=list(dateorder.ORDERS.items()))
    unknown_categories = forms.ChoiceField(label=gettext_lazy("Unknown category names"), choices=[
        ("reject", gettext_lazy("reject the row")), ("keep", gettext_lazy("keep the name, import the row")),
        ("create", gettext_lazy("create the category (once per name), import the row"))])

    def __init__(self, *args, header: list[str], surveys, survey=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        self.fields["survey"].choices = [("", "—")] + [(s.form_id, s.name) for s in surveys]
        targets = [("", _("(keep as extra information)"))] + [(t, mapping.TARGET_LABELS[t]) for t in mapping.REPORT_TARGETS]
        for spec in (survey.fields if survey else []):
            if fieldtypes.stores_value(spec):
                targets.append((f"field:{spec['name']}", f"{_('survey')}: {fieldtypes.label(spec)}"))
        for index, column in enumerate(header):
            self.fields[f"col_{index}"] = forms.ChoiceField(label=column or f"#{index + 1}", choices=targets,
                                                            required=False)

    def column_fields(self):
        return [self[f"col_{i}"] for i in range(len(self.header))]

    @staticmethod
    def initial_from(current: dict, header: list[str]) -> dict:
        columns = current.get("columns") or {}
        initial = {f"col_{i}": columns.get(h, "") for i, h in enumerate(header)}
        initial["survey"] = current.get("survey", "")
        initial["date_format"] = (current.get("date_formats") or [""])[0]
        initial["date_order"] = current.get("date_order", "")
        initial["unknown_categories"] = current.get("unknown_categories", "reject")
        return initial

    def mapping_json(self, previous: dict) -> dict:
        data = self.cleaned_data
        # What the page does not show but the file's kind decided (an Ushahidi export: its version,
        # updating by post id) is kept.
        result = {k: v for k, v in previous.items() if k in {"bbox", "defaults", "preset", "version", "update_by",
                                                             "id_scope"}}
        result["columns"] = {h: data[f"col_{i}"] for i, h in enumerate(self.header) if data[f"col_{i}"]}
        if data["survey"]:
            result["survey"] = data["survey"]
        if data["date_format"]:
            result["date_formats"] = [data["date_format"]]
        result["unknown_categories"] = data["unknown_categories"]
        return result
