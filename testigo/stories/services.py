"""Writing stories and moving them through draft → review → published, with the same roles and
the same audit trail as reports (core.roles, core.audit):

- writing or editing a draft, and putting it in review or back to draft: roles.EDIT (volunteers,
  moderators, coordinators, administrators);
- publishing, unpublishing, and any edit of a story the public is reading: roles.PUBLISH — the
  rule that guards what the public sees of a report guards what it reads in a story.

Every save and every state change is an audit event on the story ("stories.story").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from testigo.core import audit, markup, roles
from testigo.reports.models import Category, Report
from testigo.stories import render
from testigo.stories.models import Story, StoryReport

MAX_REPORTS = 200
MAX_REDACTIONS = 100
TEXT_FIELDS = ("title_es", "title_en", "summary_es", "summary_en", "body_es", "body_en", "byline")
# Which role each move needs; the key is (from, to).
STATUS_ACTIONS = {
    (Story.Status.DRAFT, Story.Status.REVIEW): roles.EDIT,
    (Story.Status.REVIEW, Story.Status.DRAFT): roles.EDIT,
    (Story.Status.DRAFT, Story.Status.PUBLISHED): roles.PUBLISH,
    (Story.Status.REVIEW, Story.Status.PUBLISHED): roles.PUBLISH,
    (Story.Status.PUBLISHED, Story.Status.DRAFT): roles.PUBLISH,
    (Story.Status.PUBLISHED, Story.Status.REVIEW): roles.PUBLISH,
}
STATUS_EVENTS = {Story.Status.DRAFT: "story.draft", Story.Status.REVIEW: "story.review",
                 Story.Status.PUBLISHED: "story.published"}


@dataclass
class StoryInput:
    """What the console's form gives: texts, tags, the references linked and the phrases to redact."""

    slug: str = ""
    texts: dict[str, str] = field(default_factory=dict)
    tags: list[Category] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    redactions: list[str] = field(default_factory=list)


def parse_list(text: str) -> list[str]:
    """One item per line (redactions may hold spaces and commas: names)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def parse_references(text: str) -> list[str]:
    return [ref.upper() for ref in (text or "").replace(",", " ").split()]


def _linked_reports(data: StoryInput) -> list[Report]:
    wanted: list[str] = []
    for ref in data.references + [r for lang in ("es", "en") for r in render.references(data.texts.get(f"body_{lang}", ""))]:
        if ref not in wanted:
            wanted.append(ref)
    if len(wanted) > MAX_REPORTS:
        raise ValidationError(_("A story links at most %(count)d reports.") % {"count": MAX_REPORTS})
    found = {r.reference.upper(): r for r in Report.objects.filter(reference__in=wanted)}
    missing = [ref for ref in wanted if ref not in found]
    if missing:
        raise ValidationError(_("No report has the reference %(refs)s.") % {"refs": ", ".join(missing)})
    return [found[ref] for ref in wanted]


def _validate(data: StoryInput, story: Story | None) -> str:
    if not (data.texts.get("title_es", "").strip() or data.texts.get("title_en", "").strip()):
        raise ValidationError(_("Give the story a title in Spanish or in English."))
    for name in ("body_es", "body_en"):
        if len(data.texts.get(name, "")) > markup.MAX_MARKDOWN_CHARS:
            raise ValidationError(_("The text is too long: at most %(count)d characters.")
                                  % {"count": markup.MAX_MARKDOWN_CHARS})
    if len(data.redactions) > MAX_REDACTIONS:
        raise ValidationError(_("At most %(count)d phrases to hide.") % {"count": MAX_REDACTIONS})
    slug = slugify(data.slug or data.texts.get("title_es") or data.texts.get("title_en"))[:80].strip("-")
    if not slug:
        raise ValidationError(_("The address of the story needs letters or numbers."))
    taken = Story.objects.filter(slug=slug)
    if story is not None:
        taken = taken.exclude(pk=story.pk)
    if taken.exists():
        raise ValidationError(_("Another story already has the address “%(slug)s”.") % {"slug": slug})
    return slug


@transaction.atomic
def save_story(*, actor, data: StoryInput, story: Story | None = None) -> Story:
    """Create (story=None) or edit a story. A published story changes what the public reads, so
    editing one needs the publish permission."""
    roles.require(actor, roles.EDIT)
    if story is not None and story.status == Story.Status.PUBLISHED:
        roles.require(actor, roles.PUBLISH)
    slug = _validate(data, story)
    reports = _linked_reports(data)
    created = story is None
    if created:
        story = Story(created_by=roles.person(actor))
    before = {name: getattr(story, name) for name in (*TEXT_FIELDS, "slug", "redactions")}
    before_refs = [] if created else list(story.links.values_list("report__reference", flat=True))
    before_tags = [] if created else sorted(story.tags.values_list("id", flat=True))
    story.slug = slug
    for name in TEXT_FIELDS:
        setattr(story, name, data.texts.get(name, "").strip())
    story.redactions = data.redactions
    story.save()
    story.tags.set(data.tags)
    StoryReport.objects.filter(story=story).delete()
    StoryReport.objects.bulk_create([StoryReport(story=story, report=r, position=i) for i, r in enumerate(reports)])
    after_refs = [r.reference for r in reports]
    changed = [name for name, value in before.items() if getattr(story, name) != value]
    if after_refs != before_refs:
        changed.append("reports")
    if sorted(t.pk for t in data.tags) != before_tags:
        changed.append("tags")
    audit.record(action="story.created" if created else "story.edited", actor=actor, obj=story,
                 data={"changed": changed, "reports": after_refs, "redactions": len(story.redactions)})
    return story


@transaction.atomic
def set_status(*, actor, story: Story, status: str) -> Story:
    story = Story.objects.select_for_update().get(pk=story.pk)
    if status == story.status:
        return story
    action = STATUS_ACTIONS.get((story.status, status))
    if action is None:
        raise ValidationError(_("This change of state is not possible."))
    roles.require(actor, action)
    previous = story.status
    story.status = status
    if status == Story.Status.PUBLISHED and story.published_at is None:
        story.published_at = timezone.now()
    story.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(action=STATUS_EVENTS[status], actor=actor, obj=story, data={"from": previous, "to": status})
    if status == Story.Status.PUBLISHED:
        from testigo.stories import webhooks

        webhooks.published(story.pk)
    return story


def evidence_package(*, actor, story: Story, with_contact: bool = False, unseal=None):
    """The evidence package (reports/evidence.py) of every report the story links, in its order —
    public or not, as the actor may see them — recorded on each report and on the story.
    `unseal`: opens recordings' sealed originals (recordings.original_opener), else listed sealed."""
    from testigo.reports import evidence

    reports = [link.report for link in story.links.select_related("report")]
    if not reports:
        raise ValidationError(_("This story links no report."))
    package = evidence.evidence_zip(reports=reports, actor=actor, with_contact=with_contact, unseal=unseal)
    audit.record(action="story.evidence_exported", actor=actor, obj=story,
                 data={"reports": [r.reference for r in reports]})
    return package
