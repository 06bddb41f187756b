"""Promise (issue #21, stories): the stories index and a story page — its HTML, the stylesheet,
the quick-exit script, the icon and the small map — weigh at most 150 KB: a realistic story
(a few thousand words' worth of Markdown, thirty linked reports with cards) even uncompressed,
and the largest story the editor allows (the longest text, a hundred linked reports) as sent."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.stories.conftest import weigh

pytestmark = pytest.mark.django_db

LIMIT = 150 * 1024
PARAGRAPH = ("Los conductores de la ruta pagan cada semana una cuota a quienes controlan la terminal; "
             "quien no paga recibe amenazas, y algunos han dejado de trabajar. ")


@pytest.fixture
def many_reports(report_factory, publish):
    def make(n: int) -> list:
        return [publish(report_factory(title=f"Cobro de renta a conductor {i}", description=PARAGRAPH * 3,
                                       lat=14.06 + i * 0.001, lon=-87.22 + i * 0.0013)) for i in range(n)]
    return make


def test_a_realistic_story_weighs_under_150_kb_uncompressed(many_reports, write_story):
    reports = many_reports(30)
    body = "\n\n".join(f"## Parte {i}\n\n{PARAGRAPH * 6}\n\n> Testimonio.\n\n[[report:{r.reference}]]"
                       for i, r in enumerate(reports))
    story = write_story(body_es=body, summary_es=PARAGRAPH)
    client = Client()
    sizes = weigh(client, reverse("stories:story", args=[story.slug]))
    assert sizes["html_raw"] > 30 * 1024  # it is a real page
    assert sizes["raw"] <= LIMIT, sizes
    assert weigh(client, reverse("stories:index"))["raw"] <= LIMIT


def test_the_largest_story_weighs_under_150_kb_as_sent(many_reports, write_story):
    from testigo.core import markup

    reports = many_reports(100)
    cards = "\n\n".join(f"[[report:{r.reference}]]" for r in reports)
    body = (PARAGRAPH * 1000)[:markup.MAX_MARKDOWN_CHARS - len(cards) - 2] + "\n\n" + cards
    story = write_story(body_es=body, body_en=body, title_en="Extortion")
    sizes = weigh(Client(), reverse("stories:story", args=[story.slug]))
    assert sizes["gz"] <= LIMIT, sizes
