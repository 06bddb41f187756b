"""Forms for the settings pages: categories and users."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from testigo.core import roles
from testigo.reports.models import ICON_CHOICES, Category, HelpService

ROLE_CHOICES = [(r, roles.ROLE_LABELS[r]) for r in roles.ROLES]


class CategoryForm(forms.Form):
    name_es = forms.CharField(label=_("Name (Spanish)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100)
    slug = forms.SlugField(label=_("Slug"), max_length=60,
                           help_text=_("Short name used in links and exports, e.g. robbery."))
    parent = forms.ModelChoiceField(label=_("Parent category"), required=False, queryset=Category.objects.none(),
                                    empty_label=_("— none (top level) —"))
    colour = forms.RegexField(label=_("Colour"), regex=r"^#[0-9a-fA-F]{6}$", initial="#c0392b",
                              widget=forms.TextInput(attrs={"type": "color"}),
                              error_messages={"invalid": _("The colour must look like #c0392b.")})
    icon = forms.ChoiceField(label=_("Icon"), choices=ICON_CHOICES, initial="alert")
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    sensitive = forms.BooleanField(
        label=_("Survivor pathway (confidential)"), required=False,
        help_text=_("For domestic or sexual violence and the like: reports in this category are confidential "
                    "and never public, replies to the reporter are discreet and list the nearest help services."))

    FIELDS = ["name_es", "name_en", "slug", "parent", "colour", "icon", "position", "is_active", "sensitive"]

    def __init__(self, *args, instance: Category | None = None, **kwargs):
        if instance is not None:
            kwargs.setdefault("initial", {f: getattr(instance, f) for f in self.FIELDS})
        super().__init__(*args, **kwargs)
        parents = Category.objects.filter(parent__isnull=True).order_by("position", "name_es")
        if instance is not None:
            parents = parents.exclude(pk=instance.pk)
        self.fields["parent"].queryset = parents


class UserCreateForm(forms.Form):
    username = forms.RegexField(label=_("Username"), max_length=150, regex=r"^[\w.@+-]+$",
                                error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")})
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=roles.MODERATOR)
    password = forms.CharField(label=_("Initial password"), required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("Leave empty to generate a strong one, shown once."))


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)


class HelpServiceForm(forms.ModelForm):
    """A help service in the directory (docs/help-services.md); saved by reports.help_services."""

    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = HelpService
        fields = ["name", "kind", "address", "lat", "lon", "hours", "languages", "phone", "website", "nationwide",
                  "is_active"]
        help_texts = {"languages": _("E.g. Spanish, Garifuna."), "hours": _("E.g. Mon–Fri 8:00–17:00, or 24 hours."),
                      "lat": _("Optional: with the longitude, the service is offered to reports nearby.")}
