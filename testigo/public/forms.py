"""Forms of the public site: the citizen report form and the public list filters.

The forms only parse and check what a person typed, by the rules every submission follows
(reports.submission, shared with the API); writing goes through `reports.services.create_report`,
which validates again (the service is the last word).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.reports import forms as report_forms
from testigo.reports import selectors
from testigo.reports.media import probe_image
from testigo.reports.models import Category
from testigo.reports.submission import SubmissionForm
from testigo.surveys import forms as surveys_forms


def category_choices(empty_label: str, parent_label: str) -> list:
    """Choices grouped by parent category for a <select> with <optgroup>s; the parent itself is
    the first option of its group (labelled with `parent_label`, e.g. "Crime (other)")."""
    choices: list = [("", empty_label)]
    for parent, children in selectors.category_tree():
        if children:
            own = (str(parent.pk), parent_label % {"category": parent.name})
            choices.append((parent.name, [own] + [(str(c.pk), c.name) for c in children]))
        else:
            choices.append((str(parent.pk), parent.name))
    return choices


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def probe_upload(upload) -> None:
    """The request's only check of a photo: its header (format, dimensions, pixel budget). The
    pixels are decoded and re-encoded by the worker (reports/photos.py), never in the request."""
    try:
        probe_image(name=upload.name, data=upload.read())
    finally:
        upload.seek(0)


class PhotosField(forms.FileField):
    """Zero or more uploaded files; count and per-file size checked before any is read, then
    each one's header (never its pixels)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > settings.MAX_UPLOAD_FILES:
            raise ValidationError(
                gettext("Attach at most %(max)s photos (you attached %(count)s).")
                % {"max": settings.MAX_UPLOAD_FILES, "count": len(files)}
            )
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        for upload in files:
            if upload.size > limit:
                raise ValidationError(
                    gettext("“%(name)s” is larger than the limit of %(mb)s MB.")
                    % {"name": upload.name, "mb": settings.MAX_UPLOAD_MB}
                )
        files = [super(PhotosField, self).clean(f, initial) for f in files]
        errors = []
        for upload in files:
            try:
                probe_upload(upload)
            except ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise ValidationError(errors)
        return files


class ReportForm(SubmissionForm):
    """The citizen report form: the shared submission rules (reports.submission), plus photos, the
    chosen category's survey questions and choices grouped by parent category."""

    photos = PhotosField(
        label=_("Photos (optional)"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )
    recordings = report_forms.RecordingsField(label=_("Recordings or videos (optional)"), required=False)
    # Discreet mode (docs/help-services.md): neutral page titles and messages; and no message at all
    # unless asked for, since a phone may be read by the person being reported.
    discreet = forms.BooleanField(
        label=_("Keep it discreet"), required=False,
        help_text=_("Neutral page titles and messages that do not say what you wrote about."))
    confirm_by_message = forms.BooleanField(
        label=_("Send me a confirmation"), required=False,
        help_text=_("To the phone or e-mail above. Leave it unticked if someone else may read your messages."))
    field_order = ["title", "description", "category", "occurred_date", "occurred_time", "place_name", "lat", "lon",
                   "photos", "recordings", "reporter_name", "reporter_contact", "discreet", "confirm_by_message"]

    def __init__(self, *args, survey_category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The chosen category's survey adds its questions (the page is re-rendered when the
        # category changes, so this works without JavaScript).
        self.survey = surveys_forms.survey_for(survey_category)
        self.fields.update(surveys_forms.survey_form_fields(survey_category))
        self.fields["category"].choices = category_choices(gettext("— I am not sure —"), gettext("%(category)s (other)"))
        self.fields["occurred_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["photos"].help_text = gettext(
            "Up to %(files)s photos, %(mb)s MB each (JPEG, PNG, WebP or GIF). "
            "Location and camera data are removed from every photo."
        ) % {"files": settings.MAX_UPLOAD_FILES, "mb": settings.MAX_UPLOAD_MB}
        self.fields["recordings"].help_text = report_forms.help_text()

    def clean(self):
        data = super().clean()
        if data.get("confirm_by_message") and not data.get("reporter_contact") and not self.has_error("reporter_contact"):
            self.add_error("reporter_contact", gettext("Write a phone or an e-mail to receive the confirmation."))
        if self.survey is not None:
            try:
                self.custom_values = surveys_forms.clean_survey_values(self.survey, self.data, self.files)
            except ValidationError as error:
                self.add_error(None, error)
        self._probe_survey_photos()
        return data

    def is_discreet(self) -> bool:
        """Discreet mode: asked for, or the chosen category is on the survivor pathway."""
        category = self.cleaned_data.get("category") if hasattr(self, "cleaned_data") else None
        return bool(self.cleaned_data.get("discreet")) or (category is not None and category.is_sensitive)

    def survey_fields(self) -> list:
        return [self[name] for name in self.fields if name.startswith(surveys_forms.PREFIX)]

    def _probe_survey_photos(self) -> None:
        # A survey's photo questions get the same header check as the photos field.
        for spec in self.survey.fields if self.survey is not None else []:
            name = surveys_forms.PREFIX + spec["name"]
            upload = self.files.get(name) if spec["type"] == "photo" else None
            if upload and name not in self.errors:
                try:
                    probe_upload(upload)
                except ValidationError as error:
                    self.add_error(name, error)

    def photo_files(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of every photo sent, header-checked, for reports.photos.hold_photos."""
        return ([(upload.name, upload.read()) for upload in self.cleaned_data.get("photos") or []]
                + surveys_forms.survey_photos(self.survey, self.files))


    def recording_files(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of every recording or video sent, for reports.recordings.hold_recordings."""
        return report_forms.recording_files(self.cleaned_data.get("recordings"))


class PublicFilterForm(forms.Form):
    """Filters of the public report list (GET, no JavaScript)."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    q = forms.CharField(label=_("Words"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    admin1 = forms.CharField(label=_("Department"), required=False, max_length=100)
    admin2 = forms.CharField(label=_("Municipality"), required=False, max_length=100)

    def __init__(self, *args, survey_category: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The chosen category's survey adds its questions (the page is re-rendered when the
        # category changes, so this works without JavaScript).
        self.survey = surveys_forms.survey_for(survey_category)
        self.fields.update(surveys_forms.survey_form_fields(survey_category))
        self.fields["category"].choices = category_choices(gettext("All categories"), gettext("All of %(category)s"))

    def filters(self) -> selectors.ReportFilters:
        """The valid part of the filters: a bad field is reported and ignored, never a 500."""
        self.is_valid()
        data = self.cleaned_data
        category = data.get("category")
        return selectors.ReportFilters(
            categories=[int(category)] if category else [],
            text=data.get("q", ""), date_from=data.get("date_from"), date_to=data.get("date_to"),
            admin1=(data.get("admin1") or "").strip(), admin2=(data.get("admin2") or "").strip(),
        )
