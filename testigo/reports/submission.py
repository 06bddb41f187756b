"""What a citizen's report must satisfy to be accepted, whichever door it comes in by.

`SubmissionForm` is the one validator of a submission: the public form (public.forms.ReportForm
adds photos, a category's survey questions and the page's choices) and `POST /api/v1/reports`
both use it, so a report the web page refuses is refused by the API with the same message.
`reports.services.create_report` checks again (the service is the last word); this module says
why, next to the field, in words a citizen understands.

Field limits come from the models (`limit()`), so a limit changed in a migration changes the
form, the API's schema and its OpenAPI document together.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.core.numbers import DecimalNumberField
from testigo.reports import selectors
from testigo.reports.models import Category, Report

# Phone numbers are written in many local ways ("9999-0000", "+504 9999 0000", "(504) ..."):
# accept digits with the usual separators and ask only for enough digits to be reachable.
PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
MIN_PHONE_DIGITS = 7


def limit(field: str, model: type[models.Model] = Report) -> int:
    """The longest text `model.field` stores (its max_length): the one place a limit is set."""
    return model._meta.get_field(field).max_length


class SubmissionForm(forms.Form):
    """A citizen's report as typed: title, description, category, when, where, who (optional).

    `category` is a category id; only active categories are accepted."""

    title = forms.CharField(label=_("What happened, in a few words"), max_length=limit("title"))
    description = forms.CharField(
        label=_("Tell us what happened"), max_length=limit("description"), widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who, what, how. Do not write names of people who could be put at risk."),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    occurred_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    occurred_time = forms.TimeField(label=_("Time (if you know it)"), required=False,
                                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    place_name = forms.CharField(
        label=_("Where did it happen?"), max_length=limit("place_name"), required=False,
        help_text=_("Neighbourhood, street, landmark, town."),
    )
    lat = DecimalNumberField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = DecimalNumberField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=limit("reporter_name"), required=False)
    reporter_contact = forms.CharField(
        label=_("Phone or e-mail (optional)"), max_length=limit("reporter_contact"), required=False,
        help_text=_("Only the organisation's staff can see your name and contact, to ask you more "
                    "about the report. They are never published. Leave them empty to report anonymously."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_values: dict = {}
        self.fields["category"].choices = [("", "")] + [
            (str(c.pk), c.name) for parent, children in selectors.category_tree() for c in (parent, *children)]

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
        return data

    def occurred_at(self) -> date | datetime:
        # Without a time, the date alone: the service stores the start of the day with the time
        # marked unknown (reports.services.when_it_happened), and pages show only the date.
        moment = self.cleaned_data.get("occurred_time")
        day = self.cleaned_data["occurred_date"]
        return day if moment is None else timezone.make_aware(datetime.combine(day, moment))

    def report_kwargs(self) -> dict:
        """Keyword arguments for reports.services.create_report (photos apart)."""
        data = self.cleaned_data
        return {
            "title": data["title"], "description": data["description"],
            "categories": [data["category"]] if data.get("category") else [],
            "occurred_at": self.occurred_at(), "lat": data.get("lat"), "lon": data.get("lon"),
            "place_name": data.get("place_name", ""), "reporter_name": data.get("reporter_name", ""),
            "reporter_contact": data.get("reporter_contact", ""),
            "custom_values": self.custom_values,
        }

    def error_list(self) -> list[dict[str, str]]:
        """Every problem as {"field", "message"} ("" for the submission as a whole), in field order."""
        return [{"field": "" if field == "__all__" else field, "message": str(message)}
                for field, messages in self.errors.items() for message in messages]

    def add_service_error(self, error: ValidationError) -> None:
        """Put a ValidationError raised by the service next to the field it concerns."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        else:
            self.add_error(None, error.messages)
