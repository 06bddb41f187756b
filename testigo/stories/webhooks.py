"""The `story.published` webhook event (webhooks/events.py is a registry apps add to): a story's
public projection — its texts with the redactions applied, tags, address and the references of its
linked reports that are public now — queued after the publishing transaction commits."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from testigo.stories import selectors
from testigo.stories.models import Story

log = logging.getLogger(__name__)
STORY_PUBLISHED = "story.published"


def register() -> None:
    from testigo.webhooks import events

    events.register(STORY_PUBLISHED, _("Story published"))


def payload(story: Story) -> dict:
    """What any webhook may receive: nothing a visitor of the story's page could not read."""
    texts = {}
    for language in selectors.LANGUAGES:
        title, summary, _body = selectors.text_of(story, language)
        if title:
            texts[language] = {"title": title, "summary": summary}
    path = reverse("stories:story", args=[story.slug])
    return {"slug": story.slug, "url": f"{settings.SITE_URL}{path}" if settings.SITE_URL else path,
            "published_at": story.published_at.isoformat() if story.published_at else None,
            "texts": texts, "tags": [t.slug for t in story.tags.all() if t.is_active and not t.is_sensitive],
            "reports": [row["reference"] for row in selectors.public_linked_reports(story)]}


def published(story_id: int) -> None:
    """Queue the event once the transaction that published the story has committed."""

    def queue() -> None:
        from testigo.webhooks import services

        story = Story.objects.filter(pk=story_id, status=Story.Status.PUBLISHED).first()
        if story is None:  # unpublished again before the commit: nothing to announce
            return
        try:
            data = payload(story)
            services.emit(STORY_PUBLISHED, public=data, staff=data)
        except Exception:  # a webhook must never undo or break what happened
            log.exception("webhooks: could not queue %s", STORY_PUBLISHED)

    transaction.on_commit(queue)
