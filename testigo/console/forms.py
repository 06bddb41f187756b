"""Console forms. They parse and validate input only; every write goes to a service."""

from __future__ import annotations

from datetime import time

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from testigo.core import roles
from testigo.core.numbers import DecimalNumberField, WholeNumberField
from testigo.reports import forms as report_forms
from testigo.reports import selectors
from testigo.reports.labels import source_label
from testigo.reports.models import Category, Report
from testigo.surveys import columns as survey_columns
from testigo.surveys import selectors as survey_selectors


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("Password"), strip=False, max_length=4096,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class InboxFilterForm(forms.Form):
    """The inbox filters, read from the query string so a filtered view is a shareable URL."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Text or reference")}))
    status = forms.MultipleChoiceField(label=_("Status"), required=False, choices=Report.Status.choices,
                                       widget=forms.CheckboxSelectMultiple)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False)
    date_from = forms.DateField(label=_("Received from"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Received until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    survey = forms.TypedChoiceField(label=_("Survey"), required=False, coerce=int, empty_value=None)
    admin1 = forms.CharField(label=_("Department"), required=False, max_length=100)
    admin2 = forms.CharField(label=_("Municipality"), required=False, max_length=100)

    def __init__(self, *args, sources: list[str], surveys=(), **kwargs):
        super().__init__(*args, **kwargs)
        category_and_source_choices(self, sources)
        self.fields["survey"].choices = [("", _("All surveys"))] + [(s.pk, s.name) for s in surveys]
        # The survey whose answers are shown as columns: the one chosen, else the category's.
        self.survey = self._chosen_survey(surveys)
        self.answer_field_names: list[str] = []
        if self.survey is not None:
            answer_fields = survey_columns.filter_fields(self.survey)
            self.fields.update(answer_fields)
            self.answer_field_names = list(answer_fields)

    def _chosen_survey(self, surveys):
        data = self.data if self.is_bound else {}
        by_id = {str(s.pk): s for s in surveys}
        if data.get("survey") in by_id:
            return by_id[data["survey"]]
        category_id = data.get("category", "")
        if category_id and self.fields["category"].valid_value(category_id):
            category = Category.objects.filter(pk=int(category_id)).first()
            survey = survey_selectors.survey_for_category(category)
            return by_id.get(str(survey.pk), survey) if survey is not None else None
        return None

    def answer_fields(self) -> list:
        """The bound answer filters, for the template."""
        return [self[name] for name in self.answer_field_names]

    def answer_filters_used(self) -> bool:
        return any(self.data.get(name) for name in self.answer_field_names)

    def answer_conditions(self) -> list:
        """Database conditions for the survey filter and the answer filters (valid ones only)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if self.survey is None:
            return []
        conditions = survey_columns.filter_conditions(self.survey, data)
        if data.get("survey") and not conditions:
            conditions = [survey_columns.belongs_to(self.survey)]
        return conditions

    def filters(self) -> selectors.ReportFilters:
        self.is_valid()  # invalid fields are left out; the valid ones still filter
        data = getattr(self, "cleaned_data", {})
        return selectors.ReportFilters(
            statuses=list(data.get("status") or []),
            categories=[data["category"]] if data.get("category") else [],
            sources=[data["source"]] if data.get("source") else [],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=(data.get("q") or "").strip(),
            admin1=(data.get("admin1") or "").strip(),
            admin2=(data.get("admin2") or "").strip(),
        )


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class ReportEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("What happened"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
    categories = CategoryChoiceField(label=_("Categories"), required=False, queryset=Category.objects.none(),
                                     widget=forms.CheckboxSelectMultiple)
    occurred_at = forms.DateTimeField(label=_("When it happened"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"))
    place_name = forms.CharField(label=_("Place"), max_length=200, required=False)
    admin1 = forms.CharField(label=_("Department / state"), max_length=100, required=False)
    admin2 = forms.CharField(label=_("Municipality"), max_length=100, required=False)
    lat = DecimalNumberField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = DecimalNumberField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    precision_m = WholeNumberField(label=_("Location precision (m)"), required=False, min_value=0)
    visibility = forms.ChoiceField(label=_("Visibility"))

    FIELDS = ["title", "description", "occurred_at", "place_name", "admin1", "admin2", "lat", "lon",
              "precision_m", "visibility"]

    def __init__(self, *args, user, report: Report, **kwargs):
        kwargs.setdefault("initial", {f: getattr(report, f) for f in self.FIELDS}
                          | {"categories": list(report.categories.all())})
        super().__init__(*args, **kwargs)
        self.report = report
        # Inactive categories stay selectable only where the report already has them.
        current = report.categories.values_list("id", flat=True)
        self.fields["categories"].queryset = Category.objects.filter(
            Q(is_active=True) | Q(id__in=list(current))
        ).select_related("parent").order_by("parent__position", "position", "name_es")
        choices = list(Report.Visibility.choices)
        if not roles.can(user, roles.VIEW_CONFIDENTIAL):
            choices = [c for c in choices if c[0] != Report.Visibility.CONFIDENTIAL]
        self.fields["visibility"].choices = choices
        if report.status == Report.Status.PUBLISHED and not roles.can(user, roles.PUBLISH):
            # Only a hint: the service refuses the change whatever the form shows.
            self.fields["visibility"].help_text = _("This report is published: changing what the public sees "
                                                    "needs the publish permission.")

    def changes(self) -> dict:
        """The submitted values, normalised so that an untouched field never counts as a change."""
        changes = {f: self.cleaned_data[f] for f in self.FIELDS}
        for text_field in ("title", "description", "place_name", "admin1", "admin2"):
            # Browsers send textarea line breaks as CRLF; stored text uses LF.
            changes[text_field] = (changes[text_field] or "").replace("\r\n", "\n").strip()
        original = self.report.occurred_at
        # The datetime input has minute precision: keep the stored seconds when the minute is unchanged.
        if original is not None and changes["occurred_at"] == original.replace(second=0, microsecond=0):
            changes["occurred_at"] = original
        elif changes["occurred_at"] is not None and not self.report.occurred_time_known:
            # The input always has a time: for a report whose time is unknown, 00:00 still means
            # "no time" (a new day only), anything else is a time someone typed.
            moment = timezone.localtime(changes["occurred_at"], timezone.get_default_timezone())
            if moment.time() == time.min:
                changes["occurred_at"] = moment.date()
        return changes


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class MergeForm(forms.Form):
    into = forms.CharField(label=_("Merge into report"), max_length=16,
                           widget=forms.TextInput(attrs={"placeholder": "T-XXXX-XXXX"}))

    def clean_into(self) -> str:
        return self.cleaned_data["into"].strip().upper()


class RedactionForm(forms.Form):
    phrases = forms.CharField(label=_("Phrases hidden from the public (one per line)"), required=False,
                              max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def phrase_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["phrases"].splitlines() if line.strip()]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Report.Status.choices)


class RecordingUploadForm(forms.Form):
    """Recordings and videos staff attach to a report (a file a witness handed over): processed
    by the worker like the public form's (reports/recordings.py)."""

    recordings = report_forms.RecordingsField(label=_("Recordings or videos"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recordings"].help_text = report_forms.help_text()

    def clean_recordings(self):
        files = self.cleaned_data["recordings"]
        if not files:
            raise ValidationError(_("Choose a recording or a video to attach."))
        return files


def category_and_source_choices(form, sources: list[str]) -> None:
    """Fill a filter form's "category" (parents, then their children indented) and "source" choices,
    as the inbox and the dashboard offer them."""
    choices = [("", _("All categories"))]
    for parent, children in selectors.category_tree():
        choices.append((parent.id, parent.name))
        choices += [(child.id, f"— {child.name}") for child in children]
    form.fields["category"].choices = choices
    form.fields["source"].choices = [("", _("All sources"))] + [(s, source_label(s)) for s in sources]
