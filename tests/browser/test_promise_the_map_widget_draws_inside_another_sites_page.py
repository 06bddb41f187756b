"""Promise: the map widget draws its published reports inside an <iframe> on another site's page (a
second local server on another port: another origin), while the same page cannot frame the public
map itself; the widget's report links open outside the frame (issue #24)."""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from testigo.reports import services


@pytest.fixture
def published(report_factory, admin_user):
    for i in range(3):
        # The period (days=30) is of when a report happened, as on the public map.
        report = report_factory(title=f"Incidente {i}", lat=14.07 + i * 0.01, lon=-87.19,
                                occurred_at=timezone.now() - timedelta(days=i))
        services.verify(report=report, actor=admin_user)
        services.publish(report=report, actor=admin_user)


@pytest.fixture
def other_site(tmp_path, live_server):
    """A newspaper's page on another origin (localhost:<another port>) framing the widget and, to show
    it is refused, the public home page."""
    (tmp_path / "widget.html").write_text(
        "<!doctype html><html><body><h1>Diario</h1>"
        f'<iframe id="widget" src="{live_server.url}/embed/map/?days=30&lang=en#map=10/14.08/-87.19" '
        'title="map" width="600" height="400"></iframe></body></html>', encoding="utf-8")
    (tmp_path / "home.html").write_text(
        "<!doctype html><html><body><h1>Diario</h1>"
        f'<iframe id="home" src="{live_server.url}/" title="home" width="600" height="400"></iframe>'
        "</body></html>", encoding="utf-8")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_widget_draws_in_a_frame_on_another_origin_and_the_home_page_does_not(browser, live_server, published,
                                                                                    other_site):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(other_site + "widget.html")
        widget = page.frame_locator("#widget")
        widget.locator("#map[data-loaded] .tg-cluster, #map[data-loaded] .tg-point").first.wait_for(timeout=15000)
        assert widget.locator("#map").get_attribute("data-total") == "3"
        link = widget.locator(".embed-bar a")
        assert link.get_attribute("href").startswith("/?date_from=")  # back to the site, with the period
        assert page.evaluate("document.getElementById('widget').contentDocument") is None  # another origin
        assert context.cookies() == []  # the widget set no cookie
        # Chromium replaces a refused frame with its own error page: the public map never loads there.
        page.goto(other_site + "home.html")
        page.wait_for_timeout(1000)
        home = page.main_frame.child_frames[0]
        assert home.url.startswith("chrome-error://") or home.locator("#map").count() == 0
    finally:
        context.close()
