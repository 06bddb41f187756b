"""Promise (to citizens): in Tor Browser "Safest" (JavaScript off), someone about to send a report
reaches the advice on reporting safely from the form itself, reads it, and finds the other guides
and the way back to the form."""

from __future__ import annotations

from testigo.core import guides


def test_a_citizen_reaches_the_reporting_safely_guide_from_the_report_form(nojs_page, transactional_db):
    page = nojs_page
    page.goto("/report/")
    page.locator(".guide-link a[href='/guides/reporting-safely/']").click()
    page.wait_for_url("**/guides/reporting-safely/")
    title, _body = guides.default("reporting-safely", "es")
    assert page.locator("h1").inner_text().strip() == title
    assert page.locator("article.guide h2").count() >= 2  # the Markdown became real headings
    assert page.get_by_text("No guardamos su dirección IP").is_visible()
    page.locator(".guide-others a[href='/guides/photos-and-metadata/']").click()
    page.wait_for_url("**/guides/photos-and-metadata/")
    assert page.get_by_text("la foto original sigue en su teléfono", exact=False).is_visible()
    page.locator(".site-header a[href='/report/']").click()
    page.wait_for_url("**/report/")
    assert page.locator("form.report-form").is_visible()
