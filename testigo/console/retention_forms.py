"""The retention policy form (console/retention_views.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from testigo.reports.models import Category, Report, RetentionPolicy


class RetentionPolicyForm(forms.ModelForm):
    statuses = forms.MultipleChoiceField(
        label=_("Only reports with these statuses"), required=False, choices=Report.Status.choices,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any status."))
    visibilities = forms.MultipleChoiceField(
        label=_("Only reports with these visibilities"), required=False, choices=Report.Visibility.choices,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any visibility."))
    categories = forms.ModelMultipleChoiceField(
        label=_("Only reports in these categories"), required=False, queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any category. A category includes its subcategories."))
    confirm_everything = forms.BooleanField(
        label=_("Yes, this policy may delete data of every report the deployment has"), required=False,
        help_text=_("Needed when the policy names no status, visibility or category, or when it reaches "
                    "every report there is."))

    class Meta:
        model = RetentionPolicy
        fields = ["name", "action", "age_basis", "days", "statuses", "visibilities", "categories", "is_enabled"]
        labels = {"name": _("Name"), "action": _("What to do"), "age_basis": _("Age counted"),
                  "days": _("After this many days"), "is_enabled": _("Enabled (applied every night)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = Category.objects.order_by("position", "name_es")
        if self.instance.pk:
            self.fields["confirm_everything"].initial = self.instance.confirmed_everything
