"""Forms of the public site: the citizen report form and the public list filters.

The forms only parse and check what a person typed; writing goes through
`reports.services.create_report`, which validates again (the service is the last word).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.core.numbers import DecimalNumberField
from testigo.reports import selectors
from testigo.reports.media import probe_image
from testigo.reports.models import Category
from testigo.surveys import forms as surveys_forms

# Phone numbers are written in many local ways ("9999-0000", "+504 9999 0000", "(504) ..."):
# accept digits with the usual separators and ask only for enough digits to be reachable.
PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
MIN_PHONE_DIGITS = 7


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


class ReportForm(forms.Form):
    title = forms.CharField(label=_("What happened, in a few words"), max_length=200)
    description = forms.CharField(
        label=_("Tell us what happened"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who, what, how. Do not write names of people who could be put at risk."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    occurred_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    occurred_time = forms.TimeField(label=_("Time (if you know it)"), required=False,
                                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    place_name = forms.CharField(
        label=_("Where did it happen?"), max_length=200, required=False,
        help_text=_("Neighbourhood, street, landmark, town."),
    )
    lat = DecimalNumberField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = DecimalNumberField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    photos = PhotosField(
        label=_("Photos (optional)"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=120, required=False)
    reporter_contact = forms.CharField(
        label=_("Phone or e-mail (optional)"), max_length=200, required=False,
        help_text=_("Only the organisation's staff can see your name and contact, to ask you more "
                    "about the report. They are never published. Leave them empty to report anonymously."),
    )

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

    def clean_category(self) -> Category | None:
        value = self.cleaned_data.get("category")
        if not value:
            return None
        category = Category.objects.filter(pk=value, is_active=True).first()
        if category is None:
            raise ValidationError(gettext("Choose a category from the list."))
        return category

    def clean_occurred_date(self):
        value = self.cleaned_data["occurred_date"]
        if value > timezone.localdate():
            raise ValidationError(gettext("The date cannot be in the future."))
        return value

    def clean_reporter_contact(self) -> str:
        value = self.cleaned_data.get("reporter_contact", "").strip()
        if not value:
            return ""
        if "@" in value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(gettext("This e-mail address does not look right.")) from None
        elif not PHONE_CHARS.match(value) or sum(ch.isdigit() for ch in value) < MIN_PHONE_DIGITS:
            raise ValidationError(gettext("Write a phone number (digits) or an e-mail address."))
        return value

    def clean(self):
        data = super().clean()
        day, moment = data.get("occurred_date"), data.get("occurred_time")
        if day and moment and timezone.make_aware(datetime.combine(day, moment)) > timezone.now():
            self.add_error("occurred_time", gettext("The time cannot be in the future."))
        lat, lon = data.get("lat"), data.get("lon")
        if "lat" not in self.errors and "lon" not in self.errors and (lat is None) != (lon is None):
            self.add_error("lat" if lat is None else "lon",
                           gettext("Give both latitude and longitude, or neither."))
        if not data.get("place_name") and lat is None and lon is None and not self.has_error("place_name"):
            self.add_error("place_name", gettext("Tell us where it happened: write a place or put a pin on the map."))
        self.custom_values = {}
        if self.survey is not None:
            try:
                self.custom_values = surveys_forms.clean_survey_values(self.survey, self.data, self.files)
            except ValidationError as error:
                self.add_error(None, error)
        self._probe_survey_photos()
        return data

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

    def occurred_at(self) -> date | datetime:
        # Without a time, the date alone: the service stores the start of the day with the time
        # marked unknown (reports.services.when_it_happened), and pages show only the date.
        moment = self.cleaned_data.get("occurred_time")
        day = self.cleaned_data["occurred_date"]
        return day if moment is None else timezone.make_aware(datetime.combine(day, moment))

    def report_kwargs(self) -> dict:
        """Keyword arguments for reports.services.create_report (photos apart: see photo_files())."""
        data = self.cleaned_data
        return {
            "title": data["title"], "description": data["description"],
            "categories": [data["category"]] if data.get("category") else [],
            "occurred_at": self.occurred_at(), "lat": data.get("lat"), "lon": data.get("lon"),
            "place_name": data.get("place_name", ""), "reporter_name": data.get("reporter_name", ""),
            "reporter_contact": data.get("reporter_contact", ""),
            "custom_values": self.custom_values,
        }

    def photo_files(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of every photo sent, header-checked, for reports.photos.hold_photos."""
        return ([(upload.name, upload.read()) for upload in self.cleaned_data.get("photos") or []]
                + surveys_forms.survey_photos(self.survey, self.files))

    def add_service_error(self, error: ValidationError) -> None:
        """Put a ValidationError raised by the service next to the field it concerns."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)


class PublicFilterForm(forms.Form):
    """Filters of the public report list (GET, no JavaScript)."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    q = forms.CharField(label=_("Words"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

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
        )
