"""Forms: parsing and field-level checks only; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from testigo.alerts.models import Zone
from testigo.alerts.text import closest, fold
from testigo.core.numbers import DecimalNumberField
from testigo.reports.models import Category

MEANS = [("tel", _("SMS to my phone")), ("mailto", _("E-mail")), ("telegram", _("Telegram"))]


def zone_names_help() -> str:
    return str(_("One or more zone names, separated by commas, e.g. a municipality or colonia."))


class SubscribeForm(forms.Form):
    scheme = forms.ChoiceField(label=_("How should we reach you?"), choices=MEANS, widget=forms.RadioSelect,
                               initial="tel")
    address = forms.CharField(label=_("Phone number, e-mail address or Telegram chat id"), max_length=200)
    zones = forms.CharField(label=_("Zones"), required=False, max_length=1000,
                            widget=forms.TextInput(attrs={"list": "zone-names", "autocomplete": "off"}))
    lat = DecimalNumberField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = DecimalNumberField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    radius_km = DecimalNumberField(label=_("Within (km)"), required=False, min_value=0.1)
    categories = forms.ModelMultipleChoiceField(
        label=_("Only these kinds of report (none chosen: all)"), required=False,
        queryset=Category.objects.filter(is_active=True, parent__isnull=True), widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=_("Language of the messages"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].help_text = zone_names_help()
        self.fields["radius_km"].validators.append(_max_km)
        self.zone_ids: list[int] = []

    def clean_zones(self) -> str:
        raw = self.cleaned_data.get("zones", "")
        by_key = {}
        for zone in Zone.objects.filter(is_active=True).only("pk", "key", "name_es", "name_en"):
            by_key[zone.key] = zone.pk
            if zone.name_en:
                by_key.setdefault(fold(zone.name_en), zone.pk)
        missing = []
        for name in (n for n in raw.split(",") if n.strip()):
            if fold(name) in by_key:
                self.zone_ids.append(by_key[fold(name)])
            else:
                missing.append(name.strip())
        if missing:
            names = {fold(z.name_es): z.name_es for z in Zone.objects.filter(is_active=True)}
            hints = closest(missing[0], names)
            message = _("We did not find: %(names)s.") % {"names": ", ".join(missing)}
            if hints:
                message += " " + _("Did you mean: %(list)s?") % {"list": ", ".join(hints)}
            raise ValidationError(message)
        return raw

    def clean(self):
        data = super().clean()
        point = [data.get("lat"), data.get("lon"), data.get("radius_km")]
        if any(v is not None for v in point) and not all(v is not None for v in point):
            raise ValidationError(_("For alerts around a point, give latitude, longitude and a distance."))
        if not self.zone_ids and not all(v is not None for v in point) and not self.errors:
            raise ValidationError(_("Choose at least one zone, or a point and a distance."))
        return data


def _max_km(value) -> None:
    if value is not None and value > settings.ALERT_MAX_RADIUS_KM:
        raise ValidationError(_("At most %(km)d km.") % {"km": settings.ALERT_MAX_RADIUS_KM})


class ConfirmForm(forms.Form):
    code = forms.CharField(label=_("Confirmation code"), max_length=12,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
