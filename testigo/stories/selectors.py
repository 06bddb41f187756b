"""Every read of stories. The public reads a story only through `public_story()` and
`public_stories()` (published ones only), and a linked report only through the public report
projection (reports.selectors.public_base/public_values): a report that is not public at this
moment gives nothing — no card, no point on the map, no line in the list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from testigo.geo import svgmap
from testigo.reports import selectors as report_selectors
from testigo.stories import render
from testigo.stories.models import Story

LANGUAGES = ("es", "en")


def public_stories() -> QuerySet:
    return Story.objects.filter(status=Story.Status.PUBLISHED).order_by("-published_at", "-id")


def public_linked_reports(story: Story, report_ids: list[int] | None = None) -> list[dict]:
    """The story's linked reports that are public now, as public rows, in the story's order
    (`report_ids`: the order of an unsaved story, for the console's preview)."""
    if report_ids is None:
        report_ids = list(story.links.values_list("report_id", flat=True))
    order = {report_id: i for i, report_id in enumerate(report_ids)}
    if not order:
        return []
    # No ORDER BY (the story's order is applied below): the model's default order cost more to
    # compile and sort than the rows cost to read (bench_stories).
    rows = report_selectors.public_values(report_selectors.public_base().filter(id__in=list(order)).order_by())
    return sorted(rows, key=lambda row: order[row["id"]])


def language_of(story: Story, wanted: str | None = None) -> str:
    """The language the story is shown in: the visitor's when written in it, else the other."""
    wanted = wanted if wanted in LANGUAGES else ("en" if (get_language() or "").startswith("en") else "es")
    other = "en" if wanted == "es" else "es"
    has = {lang: bool(getattr(story, f"title_{lang}") or getattr(story, f"body_{lang}")) for lang in LANGUAGES}
    return wanted if has[wanted] or not has[other] else other


@dataclass
class StoryPage:
    story: Story
    language: str  # the language of the text shown
    fallback: bool  # the visitor's language had no text: the other one is shown
    title: str
    summary: str
    byline: str
    html: SafeString
    reports: list[dict] = field(default_factory=list)
    map_svg: SafeString = ""
    tags: list = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def slug(self) -> str:
        return self.story.slug

    @property
    def reports_html(self) -> SafeString:
        """The list of linked reports, as <li> items (escaped by render.list_item_html)."""
        return mark_safe("\n".join(render.list_item_html(row) for row in self.reports))  # noqa: S308


def text_of(story: Story, language: str) -> tuple[str, str, str]:
    """Title, summary and body in `language`, redacted; a blank title or summary borrows the other language's."""
    other = "en" if language == "es" else "es"
    title = getattr(story, f"title_{language}") or getattr(story, f"title_{other}")
    summary = getattr(story, f"summary_{language}") or getattr(story, f"summary_{other}")
    body = getattr(story, f"body_{language}")
    return render.redact(title, story.redactions), render.redact(summary, story.redactions), body


def page(story: Story, *, language: str | None = None, report_ids: list[int] | None = None,
         tags: list | None = None) -> StoryPage:
    """A story as the public reads it (also the console's preview: same rendering, same door)."""
    shown = language_of(story, language)
    wanted = language if language in LANGUAGES else ("en" if (get_language() or "").startswith("en") else "es")
    title, summary, body = text_of(story, shown)
    reports = public_linked_reports(story, report_ids)
    # One reverse() for all: references are letters, digits and hyphens, safe in a path.
    address = reverse("public:report_detail", args=["REFERENCE"])
    for number, row in enumerate(reports, start=1):
        row["number"] = number
        row["url"] = address.replace("REFERENCE", row["reference"])
        # The story's names to hide reach its cards and list too (on top of each report's own).
        for name in ("public_title", "public_description", "place_name"):
            row[name] = render.redact(row[name] or "", story.redactions)
        row["title"] = row["public_title"]
    # Each card plays its report's public recordings and videos (public selector: only media marked public).
    recordings = report_selectors.public_recordings([row["id"] for row in reports]) if reports else {}
    for row in reports:
        row["recordings"] = recordings.get(row["id"], [])
    cards = {row["reference"].upper(): row for row in reports}
    html = render.render(body, redactions=story.redactions, cards=cards)
    return StoryPage(story=story, language=shown, fallback=shown != wanted, title=title, summary=summary,
                     byline=render.redact(story.byline, story.redactions) or settings.SITE_NAME,
                     html=html, reports=reports,
                     map_svg=svgmap.svg(reports, label=_("Map of the approximate places of the linked reports")),
                     tags=[t for t in (story.tags.all() if tags is None else tags) if t.is_active and not t.is_sensitive],
                     published_at=story.published_at, updated_at=story.updated_at)


def public_story(slug: str, language: str | None = None) -> StoryPage | None:
    story = public_stories().filter(slug=slug).first()
    return None if story is None else page(story, language=language)


def staff_stories() -> QuerySet:
    return Story.objects.order_by("-updated_at", "-id")
