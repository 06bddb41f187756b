from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "testigo.stories"
    label = "stories"
    verbose_name = "Stories"

    def ready(self) -> None:
        from testigo.reports import evidence

        evidence.PACKAGERS["story"] = _story_package
        from testigo.console import sitrep_views
        from testigo.stories import webhooks

        webhooks.register()
        sitrep_views.PUBLISHED_STORIES["stories"] = _published_between


def _story_package(*, actor, address: str, with_contact: bool):
    """`testigo evidence-export --story ADDRESS`: every report the story links, or None."""
    from testigo.stories import services
    from testigo.stories.models import Story

    story = Story.objects.filter(slug=address).first()
    if story is None:
        return None
    package = services.evidence_package(actor=actor, story=story, with_contact=with_contact)
    return package, list(story.links.all())


def _published_between(*, start, stop, language: str, limit: int) -> list[dict]:
    """The stories published in [start, stop) for a situation report, in `language` when written in it."""
    from django.urls import reverse

    from testigo.stories import selectors

    found = []
    for story in selectors.public_stories().filter(published_at__gte=start, published_at__lt=stop)[:limit]:
        title, summary, _body = selectors.text_of(story, selectors.language_of(story, language))
        found.append({"title": title, "summary": summary, "published_at": story.published_at,
                      "url": reverse("stories:story", args=[story.slug])})
    return found
