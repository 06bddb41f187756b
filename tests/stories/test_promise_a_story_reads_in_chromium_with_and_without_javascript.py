"""Promise (issue #21, stories): in Chromium, with JavaScript on and with it off (Tor Browser
"Safest"), a visitor goes from the stories index to a story, reads its headings and quotes, sees
the embedded report card and the small map of the linked reports, and follows them to the
report's page; the page breaks no Content-Security-Policy rule and keeps the quick exit."""

from __future__ import annotations

import pytest

from testigo.stories.models import Story

BODY = """## Un patrón que se repite

> «Si no pagás, no trabajás», dijo un conductor.

Los casos publicados:

[[report:{ref}]]
"""


@pytest.fixture
def story(transactional_db, report_factory, admin_user, write_story):
    from testigo.reports import services

    report = report_factory(title="Cobro de renta en la terminal")
    services.verify(report=report, actor=admin_user)
    report = services.publish(report=report, actor=admin_user)
    story = write_story(body_es=BODY.format(ref=report.reference), summary_es="Un patrón de extorsión.")
    return story, report


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_visitor_reads_a_story_and_reaches_its_report(javascript, story, page, nojs_page):
    story, report = story
    tab = page if javascript else nojs_page
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.goto("/stories/")
    tab.locator(f".story-list a[href='/stories/{story.slug}/']").click()
    tab.wait_for_url(f"**/stories/{story.slug}/")
    assert tab.locator("h1").inner_text().strip() == Story.objects.get().title_es
    assert tab.locator(".story-body h2").inner_text() == "Un patrón que se repite"
    assert tab.locator(".story-body blockquote").is_visible()
    assert tab.locator(".story-card h3").inner_text().strip() == "Cobro de renta en la terminal"
    svg = tab.locator("svg.story-map")
    assert svg.is_visible() and svg.bounding_box()["width"] > 100
    assert tab.locator("svg.story-map circle").count() == 1
    assert tab.locator("#quick-exit").is_visible()
    tab.locator(".story-card h3 a").click()
    tab.wait_for_url(f"**/r/{report.reference}/")
    assert tab.locator("h1").inner_text().strip() == "Cobro de renta en la terminal"
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
