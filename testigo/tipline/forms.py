from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from testigo.core.uploads import MultipleFileField
from testigo.reports.media import REQUEST_MAX_PIXELS, is_image_name, probe_image, request_pixel_budget
from testigo.tipline.codenames import MAX_CODENAME_CHARS


def check_photo(upload) -> None:
    """A photo's header-only check before the service seals it (reading no pixel).

    The service re-encodes photos in this request (a tip's plaintext never reaches the worker),
    so a photo must also fit the request's decoding budget (reports/media.py): any JPEG up to
    the bomb limit, other formats up to REQUEST_MAX_PIXELS. Anything else may still be sent in
    a .zip, which is sealed as it is without being opened."""
    try:
        header = probe_image(name=upload.name, data=upload.read())
    finally:
        upload.seek(0)
    if header.width * header.height > request_pixel_budget(header):
        raise forms.ValidationError(
            gettext("“%(name)s” is too large a picture to process here (at most %(max)s million pixels for PNG, "
                    "WebP or GIF; JPEG photos may be larger). Send it as a JPEG, or inside a .zip file: other "
                    "files are sealed as they are.")
            % {"name": upload.name, "max": f"{REQUEST_MAX_PIXELS / 1_000_000:g}"})


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

    def clean_files(self):
        files = self.cleaned_data["files"]
        errors = []
        for upload in files:
            if is_image_name(upload.name):
                try:
                    check_photo(upload)
                except forms.ValidationError as error:
                    errors.extend(error.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return files


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


class RecoveryChoiceForm(forms.Form):
    """Your password, and how the new recovery key is handed out: one key, or Shamir shares."""

    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)
    recovery = forms.ChoiceField(label=_("Recovery key"), initial="key", required=False, widget=forms.RadioSelect,
                                 choices=[
                                     ("key", _("One recovery key, kept by one person or in one safe place")),
                                     ("shares", _("Split among trustees: any few of several shares recover it")),
                                 ])
    threshold = forms.IntegerField(label=_("Shares needed to recover"), min_value=2, max_value=10, initial=2,
                                   required=False)
    count = forms.IntegerField(label=_("Number of shares (one per trustee)"), min_value=2, max_value=10, initial=3,
                               required=False)

    def clean(self):
        data = super().clean()
        if data.get("recovery") == "shares":
            threshold, count = data.get("threshold"), data.get("count")
            if not threshold or not count:
                raise forms.ValidationError(_("Say how many shares to make and how many are needed to recover."))
            if threshold > count:
                raise forms.ValidationError(_("The shares needed cannot be more than the shares made."))
        else:
            data["threshold"], data["count"] = 0, 0
        return data


SHARE_FIELDS = 10


class RecoverForm(forms.Form):
    """The recovery key, or up to ten of its shares, plus the password of who gets access back."""

    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput)
    recovery_key = forms.CharField(label=_("Recovery key"), required=False, max_length=200,
                                   widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def __init__(self, *args, shares: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, min(shares, SHARE_FIELDS) + 1):
            self.fields[f"share_{number}"] = forms.CharField(
                label=_("Share %(number)s") % {"number": number}, required=False, max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off", "spellcheck": "false"}))

    def shares(self) -> list[str]:
        return [self.cleaned_data.get(name, "") or "" for name in self.fields if name.startswith("share_")]


class GrantForm(forms.Form):
    grantee = forms.ModelChoiceField(label=_("Colleague"), queryset=None)
    grantee_password = forms.CharField(label=_("Colleague's password (typed by them)"), widget=forms.PasswordInput)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = users
