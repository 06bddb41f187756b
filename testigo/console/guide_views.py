"""Console pages for the security guides: every guide for staff to read (the account-security
guide is theirs), and the administrators' editor with preview and "restore the default".

core.guides decides who may edit and audits every change; these views only parse and render.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from testigo.core import guides, markup
from testigo.core.access import staff_required
from testigo.core.models import Guide

# Whole phrases per language rather than a language name in a sentence: Spanish writes language
# names in lower case mid-sentence, and the catalogue's "Spanish" is a capitalised label.
PREVIEW_HEADINGS = {"es": gettext_lazy("Preview in Spanish"), "en": gettext_lazy("Preview in English")}
RESTORE_BUTTONS = {"es": gettext_lazy("Restore the Spanish default"),
                   "en": gettext_lazy("Restore the English default")}
RESTORED = {"es": gettext_lazy("The default Spanish text is back."),
            "en": gettext_lazy("The default English text is back.")}


class GuideForm(forms.Form):
    """A guide's title and Markdown body in both languages. A field left blank means the default."""

    title_es = forms.CharField(label=gettext_lazy("Title (Spanish)"), max_length=guides.TITLE_MAX, required=False)
    body_es = forms.CharField(label=gettext_lazy("Text (Spanish)"), required=False, widget=forms.Textarea(
        attrs={"rows": 18}), max_length=markup.MAX_MARKDOWN_CHARS)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=guides.TITLE_MAX, required=False)
    body_en = forms.CharField(label=gettext_lazy("Text (English)"), required=False, widget=forms.Textarea(
        attrs={"rows": 18}), max_length=markup.MAX_MARKDOWN_CHARS)

    def texts(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {lang: (data[f"title_{lang}"], data[f"body_{lang}"]) for lang in guides.LANGUAGES}


def _page(slug: str, language: str | None = None) -> guides.GuidePage:
    try:
        return guides.guide(slug, language)
    except Guide.DoesNotExist:
        raise Http404 from None


@staff_required()
def guide_list(request):
    return render(request, "console/guides.html", {
        "staff_guides": guides.guides(guides.STAFF), "citizen_guides": guides.guides(guides.CITIZEN),
        "may_edit": guides.may_edit(request.user),
    })


@staff_required()
def guide_page(request, slug: str):
    return render(request, "console/guide.html", {"guide": _page(slug), "may_edit": guides.may_edit(request.user)})


@staff_required(guides.EDIT_ACTION)
def guide_edit(request, slug: str):
    pages = {lang: _page(slug, lang) for lang in guides.LANGUAGES}
    initial = {f"{field}_{lang}": getattr(page, field) for lang, page in pages.items() for field in ("title", "body")}
    form = GuideForm(request.POST or None, initial=initial)
    previews = None
    if request.method == "POST" and form.is_valid():
        texts = form.texts()
        if "preview" in request.POST:
            previews = [{"heading": PREVIEW_HEADINGS[lang], "code": lang,
                         "title": title or pages[lang].title, "html": markup.render(body or guides.default(slug, lang)[1])}
                        for lang, (title, body) in texts.items()]
        else:
            try:
                guides.save_guide(actor=request.user, slug=slug, texts=texts)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("Guide “%(title)s” saved.") % {"title": _page(slug).title})
                return redirect("console:guide_edit", slug=slug)
    return render(request, "console/guide_edit.html", {
        "form": form, "guide": _page(slug), "pages": pages, "previews": previews,
        "restore_buttons": list(RESTORE_BUTTONS.items()),
    })


@require_POST
@staff_required(guides.EDIT_ACTION)
def guide_restore(request, slug: str):
    _page(slug)
    language = request.POST.get("language", "")
    try:
        guides.restore_default(actor=request.user, slug=slug, language=language)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(RESTORED[language]))
    return redirect("console:guide_edit", slug=slug)
