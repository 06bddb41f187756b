from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "testigo.stories"
    label = "stories"
    verbose_name = "Stories"

    def ready(self) -> None:
        from testigo.reports import evidence

        evidence.PACKAGERS["story"] = _story_package
        from testigo.stories import webhooks

        webhooks.register()


def _story_package(*, actor, address: str, with_contact: bool):
    """`testigo evidence-export --story ADDRESS`: every report the story links, or None."""
    from testigo.stories import services
    from testigo.stories.models import Story

    story = Story.objects.filter(slug=address).first()
    if story is None:
        return None
    package = services.evidence_package(actor=actor, story=story, with_contact=with_contact)
    return package, list(story.links.all())
