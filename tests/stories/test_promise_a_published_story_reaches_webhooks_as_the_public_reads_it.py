"""Issue #24: outgoing webhooks fire on "story published" — with the story as the public reads it
(redactions applied, only linked reports that are public now), once it is published, never for a
draft or a story in review."""

from __future__ import annotations

import json

import pytest

from testigo.stories.models import Story
from testigo.webhooks import events
from testigo.webhooks import services as webhook_services
from testigo.webhooks.models import Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(admin_user):
    webhook, _secret = webhook_services.create_webhook(actor=admin_user, name="Blog", url="https://blog.example.org/in",
                                                       event_names=["story.published"])
    return webhook


def test_story_published_is_an_event_admins_can_choose():
    assert "story.published" in {e.name for e in events.registered()}


def test_publishing_queues_the_public_story_and_a_draft_or_review_queues_nothing(
        hook, write_story, report_factory, publish, django_capture_on_commit_callbacks):
    public = publish(report_factory(title="Extorsión a la ruta 5"))
    private = report_factory(title="Amenaza a María López")
    with django_capture_on_commit_callbacks(execute=True):
        draft = write_story(title_es="Borrador sobre María López", status=Story.Status.DRAFT,
                            references=[public.reference, private.reference], redactions=["María López"])
        write_story(title_es="En revisión", status=Story.Status.REVIEW)
    assert not Delivery.objects.exists()

    from testigo.stories import services

    with django_capture_on_commit_callbacks(execute=True):
        services.set_status(actor=hook.created_by, story=draft, status=Story.Status.PUBLISHED)
    delivery = Delivery.objects.get()
    assert delivery.webhook == hook and delivery.event == "story.published"
    body = json.loads(delivery.body)
    text = json.dumps(body, ensure_ascii=False)
    assert "María López" not in text  # the story's redactions hold in what leaves
    assert draft.slug in text
    assert public.reference in text and private.reference not in text  # only reports public now
