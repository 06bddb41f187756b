"""The API documentation page fits a desktop screen (1280 px): its long parameter lists wrap inside
their column instead of pushing the page sideways (a phone gets a table that scrolls in its box,
tests/browser/test_promise_every_page_fits_a_phone.py)."""

from __future__ import annotations

DESKTOP = {"width": 1280, "height": 800}


def test_the_api_docs_do_not_scroll_sideways_at_1280_px(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    try:
        assert page.goto("/api/v1/docs").ok
        seen = page.evaluate("() => [document.documentElement.scrollWidth, "
                             "document.querySelector('table.api-endpoints').getBoundingClientRect().right]")
        assert seen[0] <= DESKTOP["width"] and seen[1] <= DESKTOP["width"], seen
    finally:
        context.close()
