from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from testigo.tipline.codenames import MAX_CODENAME_CHARS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented recipe: a file field that accepts several files."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), required=False, strip=True,
                           widget=forms.Textarea(attrs={"rows": 10}))
    files = MultipleFileField(label=_("Files (optional)"), required=False)

    def clean_body(self):
        body = self.cleaned_data["body"]
        if len(body) > settings.TIP_MAX_MESSAGE_CHARS:
            raise forms.ValidationError(_("The message is too long (at most %(n)s characters).")
                                        % {"n": settings.TIP_MAX_MESSAGE_CHARS})
        return body


class CodenameForm(forms.Form):
    # Over-long input is refused before any hashing (SecureDrop: test_login_with_overly_long_codename).
    codename = forms.CharField(label=_("Your codename"), max_length=MAX_CODENAME_CHARS,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none",
                                                             "spellcheck": "false"}))


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply to the source"), widget=forms.Textarea(attrs={"rows": 5}))


class ToReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description (redacted: nothing that identifies the source)"),
                                  widget=forms.Textarea(attrs={"rows": 8}))
    # Required, as on the public report form: a published report without a date would be told
    # apart from a web report, and so from a tip (the public sees both as "web").
    occurred_date = forms.DateField(label=_("Date it happened"), widget=forms.DateInput(attrs={"type": "date"}))
    place_name = forms.CharField(label=_("Where did it happen?"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    photos = forms.TypedMultipleChoiceField(label=_("Photos to include (metadata-free copies)"), required=False,
                                            coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, photo_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].choices = list(photo_choices)


class UnlockForm(forms.Form):
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)


class GrantForm(forms.Form):
    grantee = forms.ModelChoiceField(label=_("Colleague"), queryset=None)
    grantee_password = forms.CharField(label=_("Colleague's password (typed by them)"), widget=forms.PasswordInput)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = users
