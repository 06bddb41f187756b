"""What a shared link of a public page previews (OpenGraph and Twitter card meta, rendered by
templates/public/_share_meta.html), and which category feed a filtered page offers.

Only public fields go in: the public title and description, and a photo staff made public."""

from __future__ import annotations

from django.urls import reverse
from django.utils.text import Truncator

from testigo.reports.models import Category
from testigo.reports.selectors import ReportFilters

DESCRIPTION_CHARS = 200


def for_report(report: dict) -> dict:
    """A public report as selectors.public_report() returns it."""
    share = {"title": report["public_title"], "type": "article",
             "description": Truncator(" ".join((report["public_description"] or "").split())).chars(DESCRIPTION_CHARS)}
    if report.get("photos"):
        photo = report["photos"][0]
        share.update(image=reverse("public:public_media", args=[photo["id"]]),
                     image_width=photo.get("width"), image_height=photo.get("height"))
    return share


def for_story(page) -> dict:
    """A story as stories.selectors.page() gives it (redacted public text only)."""
    return {"title": page.title, "type": "article",
            "description": Truncator(" ".join((page.summary or "").split())).chars(DESCRIPTION_CHARS),
            "stories_feed": True}


def for_filters(filters: ReportFilters, **share) -> dict:
    """A list or map filtered by exactly one category offers that category's feed."""
    if len(filters.categories) == 1:
        category = Category.objects.filter(pk=filters.categories[0], is_active=True).select_related("parent").first()
        if category is not None and not category.is_sensitive:
            share["category"] = category
    return share
