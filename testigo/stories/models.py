"""Stories: public narrative posts written by staff that document a pattern across published
reports ("extortion of bus drivers in Comayagüela, 2026"). See docs/stories.md.

A story has a title, a summary and a Markdown body in Spanish and in English (either may be
blank: the page falls back to the other language with a notice), category tags, a list of
phrases to redact (names) and an ordered list of linked reports. It goes draft → review →
published with the same roles as reports (services.py). The public reads a story only through
selectors.py, and a linked report only through the public report projection.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from testigo.reports.models import Category, Report


class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")

    slug = models.SlugField(max_length=80, unique=True)
    title_es = models.CharField(max_length=200, blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    summary_es = models.CharField(max_length=300, blank=True)
    summary_en = models.CharField(max_length=300, blank=True)
    body_es = models.TextField(blank=True)
    body_en = models.TextField(blank=True)
    # The author as the public reads it: a name or a team, chosen by staff (blank: the site's name).
    # Never taken from the account: a staff member's name is theirs to publish or not.
    byline = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    tags = models.ManyToManyField(Category, blank=True, related_name="stories")
    # Phrases (names, plates, businesses) replaced by █████ wherever the public reads the story.
    redactions = models.JSONField(default=list, blank=True)
    reports = models.ManyToManyField(Report, through="StoryReport", related_name="stories", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"], name="story_public_order")]

    def __str__(self) -> str:
        return self.title or self.slug

    @property
    def title(self) -> str:
        """The staff-facing title: the current language's, else the other one."""
        first, second = ("en", "es") if get_language() == "en" else ("es", "en")
        return getattr(self, f"title_{first}") or getattr(self, f"title_{second}")


class StoryReport(models.Model):
    """One report a story links, in the story's order."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="links")
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="story_links")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["story", "report"], name="story_report_once")]

    def __str__(self) -> str:
        return f"{self.story_id} → {self.report_id}"
