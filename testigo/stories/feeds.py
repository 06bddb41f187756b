"""The Atom feed of published stories, /feeds/stories.atom, built on public.feeds.PublicAtomFeed
(language by ?lang=, absolute links, escaped text). Entries: published stories only, their
redacted public title and summary, their tags; never a draft, never a linked report's data."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from testigo.public.feeds import ENTRIES, PublicAtomFeed, Subject
from testigo.stories import selectors


class StoriesFeed(PublicAtomFeed):
    def title(self, subject: Subject) -> str:
        return _("%(site)s: stories") % {"site": settings.SITE_NAME}

    def subtitle(self, subject: Subject) -> str:
        return _("Stories published on %(site)s that document patterns across reports.") % {"site": settings.SITE_NAME}

    def link(self, subject: Subject) -> str:
        return subject.origin + reverse("stories:index")

    def items(self, subject: Subject) -> list[dict]:
        stories = selectors.public_stories().prefetch_related("tags")[:ENTRIES]
        rows = []
        for story in stories:
            title, summary, _body = selectors.text_of(story, selectors.language_of(story))
            rows.append({"slug": story.slug, "title": title, "summary": summary, "origin": subject.origin,
                         "published_at": story.published_at,
                         "byline": selectors.render.redact(story.byline, story.redactions) or settings.SITE_NAME, "updated_at": story.updated_at,
                         "tags": [t.name for t in story.tags.all() if t.is_active and not t.is_sensitive]})
        return rows

    def item_title(self, item: dict) -> str:
        return item["title"]

    def item_description(self, item: dict) -> str:
        return linebreaks(escape(item["summary"]))

    def item_link(self, item: dict) -> str:
        return item["origin"] + reverse("stories:story", args=[item["slug"]])

    def item_pubdate(self, item: dict):
        return item["published_at"]

    def item_updateddate(self, item: dict):
        return max(item["updated_at"], item["published_at"])

    def item_author_name(self, item: dict) -> str:
        return item["byline"]

    def item_categories(self, item: dict) -> list[str]:
        return item["tags"]

    def item_extra_kwargs(self, item: dict) -> dict:
        return {}
