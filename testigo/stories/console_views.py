"""Console pages for stories: the list, the editor (with a preview rendered exactly as the public
page renders it), the state buttons, and the evidence package of all the linked reports.

stories.services decides who may do what and audits it; these views parse and render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from testigo.console.evidence_views import _download
from testigo.core import audit, markup, roles
from testigo.core.access import staff_required
from testigo.core.models import AuditEvent
from testigo.reports import recordings
from testigo.reports.models import Category, Report
from testigo.stories import selectors, services
from testigo.stories.models import Story

PREVIEW_HEADINGS = {"es": gettext_lazy("Preview in Spanish"), "en": gettext_lazy("Preview in English")}
STATUS_BUTTONS = {
    Story.Status.DRAFT: pgettext_lazy("story: button", "Back to draft"),
    Story.Status.REVIEW: pgettext_lazy("story: button", "Put in review"),
    Story.Status.PUBLISHED: pgettext_lazy("story: button", "Publish"),
}


class StoryForm(forms.Form):
    title_es = forms.CharField(label=gettext_lazy("Title (Spanish)"), max_length=200, required=False)
    summary_es = forms.CharField(label=gettext_lazy("Summary (Spanish)"), max_length=300, required=False)
    body_es = forms.CharField(label=gettext_lazy("Text (Spanish)"), required=False, max_length=markup.MAX_MARKDOWN_CHARS,
                              widget=forms.Textarea(attrs={"rows": 16}))
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200, required=False)
    summary_en = forms.CharField(label=gettext_lazy("Summary (English)"), max_length=300, required=False)
    body_en = forms.CharField(label=gettext_lazy("Text (English)"), required=False, max_length=markup.MAX_MARKDOWN_CHARS,
                              widget=forms.Textarea(attrs={"rows": 16}))
    byline = forms.CharField(label=gettext_lazy("Author shown to the public"), max_length=120, required=False,
                             help_text=gettext_lazy("A name or a team; the site's name when left blank. "
                                                    "Never taken from your account."))
    slug = forms.SlugField(label=gettext_lazy("Address"), max_length=80, required=False, allow_unicode=False,
                           help_text=gettext_lazy("The end of the page's address; made from the title when left blank."))
    tags = forms.ModelMultipleChoiceField(label=gettext_lazy("Categories"), required=False,
                                          queryset=Category.objects.none(), widget=forms.CheckboxSelectMultiple)
    references = forms.CharField(
        label=gettext_lazy("Linked reports"), required=False, max_length=20 * services.MAX_REPORTS,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "T-4K7Q-9MZD\nT-8WXN-2C3P"}),
        help_text=gettext_lazy("References, separated by spaces, commas or new lines. Only the public part of a "
                               "published report is ever shown; a report that is not public shows nothing."))
    redactions = forms.CharField(
        label=gettext_lazy("Names to hide"), required=False, max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: each is replaced by █████ wherever the public reads the story."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        active = [c.pk for c in Category.objects.filter(is_active=True).select_related("parent") if not c.is_sensitive]
        self.fields["tags"].queryset = Category.objects.filter(pk__in=active).order_by("position", "name_es")

    def story_input(self) -> services.StoryInput:
        data = self.cleaned_data
        return services.StoryInput(
            slug=data["slug"], texts={name: data[name] for name in services.TEXT_FIELDS},
            tags=list(data["tags"]), references=services.parse_references(data["references"]),
            redactions=services.parse_list(data["redactions"]))


def _initial(story: Story) -> dict:
    return {**{name: getattr(story, name) for name in services.TEXT_FIELDS}, "slug": story.slug,
            "tags": list(story.tags.values_list("pk", flat=True)),
            "references": "\n".join(story.links.values_list("report__reference", flat=True)),
            "redactions": "\n".join(story.redactions)}


def _previews(data: services.StoryInput) -> list[dict]:
    story = Story(slug=data.slug or "preview", redactions=data.redactions,
                  **{name: data.texts.get(name, "") for name in services.TEXT_FIELDS})
    wanted = data.references + [r for lang in ("es", "en") for r in services.render.references(data.texts[f"body_{lang}"])]
    ids = {ref: pk for pk, ref in Report.objects.filter(reference__in=wanted).values_list("pk", "reference")}
    report_ids = list(dict.fromkeys(ids[ref] for ref in wanted if ref in ids))
    return [{"heading": PREVIEW_HEADINGS[lang], "code": lang,
             "page": selectors.page(story, language=lang, report_ids=report_ids, tags=data.tags)}
            for lang in ("es", "en") if data.texts.get(f"title_{lang}") or data.texts.get(f"body_{lang}")]


@staff_required(roles.EDIT)
def story_list(request):
    return render(request, "stories/console_list.html", {"stories": selectors.staff_stories()})


@staff_required(roles.EDIT)
def story_edit(request, pk: int | None = None):
    story = get_object_or_404(Story, pk=pk) if pk is not None else None
    form = StoryForm(request.POST or None, initial=_initial(story) if story else None)
    previews = None
    if request.method == "POST" and form.is_valid():
        data = form.story_input()
        if "preview" in request.POST:
            previews = _previews(data)
        else:
            try:
                saved = services.save_story(actor=request.user, data=data, story=story)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Story “%(title)s” saved.") % {"title": saved.title})
                return redirect("stories_console:edit", pk=saved.pk)
    moves = []
    if story is not None:
        moves = [(status, STATUS_BUTTONS[status]) for (start, status), action in services.STATUS_ACTIONS.items()
                 if start == story.status and roles.can(request.user, action)]
    events = (AuditEvent.objects.filter(object_type="stories.story", object_id=str(story.pk)).order_by("-seq")[:50]
              if story is not None else [])
    return render(request, "stories/console_edit.html", {
        "form": form, "story": story, "previews": previews, "moves": moves,
        "events": [(event, audit.action_label(event.action)) for event in events],
        "may_export": roles.may_export_evidence(request.user),
        "public_url_ok": story is not None and story.status == Story.Status.PUBLISHED,
    })


@require_POST
@staff_required(roles.EDIT)
def story_status(request, pk: int):
    story = get_object_or_404(Story, pk=pk)
    status = request.POST.get("status", "")
    if status not in Story.Status.values:
        messages.error(request, _("This change of state is not possible."))
        return redirect("stories_console:edit", pk=pk)
    try:
        story = services.set_status(actor=request.user, story=story, status=status)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The story is now: %(status)s.") % {"status": story.get_status_display()})
    return redirect("stories_console:edit", pk=pk)


@require_POST
@staff_required(roles.EXPORT)
def story_evidence(request, pk: int):
    """One ZIP of every report the story links (reports/evidence.py), for staff who may export."""
    story = get_object_or_404(Story, pk=pk)
    try:
        package = services.evidence_package(actor=request.user, story=story,
                                            with_contact=request.POST.get("with_contact") == "1",
                                            unseal=recordings.original_opener(request))
    except (ValidationError, PermissionDenied) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
        return redirect("stories_console:edit", pk=pk)
    return _download(package)
