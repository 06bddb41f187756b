"""Fixtures for the story tests: published reports and stories written through the services."""

from __future__ import annotations

import pytest

from testigo.stories import services
from testigo.stories.models import Story


@pytest.fixture
def publish(admin_user):
    """Verify then publish a report, as staff would."""
    from testigo.reports import services as report_services

    def run(report):
        report_services.verify(report=report, actor=admin_user)
        return report_services.publish(report=report, actor=admin_user)

    return run


@pytest.fixture
def write_story(admin_user):
    """Write a story (and publish it unless told otherwise) through stories.services."""

    def write(*, title_es="Extorsión a conductores de bus en Comayagüela, 2026", body_es="", title_en="",
              body_en="", summary_es="", summary_en="", references=(), redactions=(), tags=(), slug="",
              status=Story.Status.PUBLISHED, actor=None):
        data = services.StoryInput(slug=slug, texts={"title_es": title_es, "title_en": title_en, "body_es": body_es,
                                                     "body_en": body_en, "summary_es": summary_es,
                                                     "summary_en": summary_en},
                                   tags=list(tags), references=list(references), redactions=list(redactions))
        story = services.save_story(actor=actor or admin_user, data=data)
        if status != Story.Status.DRAFT:
            story = services.set_status(actor=admin_user, story=story, status=status)
        return story

    return write


from testigo.core.pageweight import weigh  # noqa: E402,F401 (the page-weight test imports it from here)
