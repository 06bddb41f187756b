from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from testigo.webhooks import events, services


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    # A CharField, not a URLField: the scheme is checked by services.validate_url with a clear message.
    url = forms.CharField(label=_("URL"), max_length=500, help_text=_("An http:// or https:// address."))
    events = forms.MultipleChoiceField(label=_("Events"), widget=forms.CheckboxSelectMultiple, choices=())
    staff_level = forms.BooleanField(
        label=_("Staff-level payloads"), required=False,
        help_text=_("Send the staff view of reports (status, exact location, unpublished reports) instead of "
                    "what the public sees. Never the reporter's name or contact."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = events.choices()

    def clean_url(self) -> str:
        try:
            return services.validate_url(self.cleaned_data["url"])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
