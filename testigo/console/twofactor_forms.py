"""Forms of the two-factor pages: they parse input only; core.twofactor decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from testigo.core import roles, twofactor


class CodeForm(forms.Form):
    """The code step: six digits from the app, or one recovery code (letters, with a dash)."""

    code = forms.CharField(label=_("Code"), max_length=64, help_text=_(
        "The six digits your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "spellcheck": "false",
                                      "autocapitalize": "off"}))


class ConfirmForm(forms.Form):
    code = forms.CharField(label=_("Code from the app"), max_length=16, help_text=_(
        "After adding the account, type the six digits the app shows."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}))


class DisableForm(forms.Form):
    """Turning it off needs proof that it is you: a current code, or your password."""

    code = forms.CharField(label=_("Code from the app"), max_length=64, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}))
    password = forms.CharField(label=_("or your password"), max_length=4096, required=False, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def clean(self):
        data = super().clean()
        if not data.get("code") and not data.get("password"):
            raise forms.ValidationError(_("Type a code from the app or your password."))
        return data


def scope_choices() -> list[tuple[str, str]]:
    return [*((role, roles.ROLE_LABELS[role]) for role in roles.ROLES),
            (twofactor.TIPLINE, _("Anyone with tip-line access, whatever their role"))]


class RequirementForm(forms.Form):
    required = forms.MultipleChoiceField(label=_("Two-factor login is required for"), required=False,
                                         choices=scope_choices, widget=forms.CheckboxSelectMultiple)
