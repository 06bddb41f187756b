"""Promise (Chromium): the map's list, drawn by JavaScript, gives a report the same date as the
page without JavaScript, in the page's language and TESTIGO_TIME_ZONE, whatever the browser's own
time zone and language (here UTC and English on a Spanish page). A report at 20:00 on 1 December
in Tegucigalpa is already 2 December in UTC (issue #14)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from testigo.reports import services


@pytest.fixture
def evening_and_day_only(report_factory, admin_user, settings):
    settings.TIME_ZONE = "America/Tegucigalpa"
    made = []
    for title, when in (("Balacera nocturna", datetime(2025, 12, 1, 20, 0, tzinfo=ZoneInfo("America/Tegucigalpa"))),
                        ("Sin hora", date(2025, 11, 30))):
        report = report_factory(title=title, occurred_at=when)
        services.verify(report=report, actor=admin_user)
        made.append(services.publish(report=report, actor=admin_user))
    return made


@pytest.fixture
def utc_english_page(browser, live_server):
    context = browser.new_context(locale="en-US", timezone_id="UTC", base_url=live_server.url)
    yield context.new_page()
    context.close()


def _list_texts(page) -> dict[str, str]:
    items = page.locator("#map-list li").all_inner_texts()
    return {title: text for title in ("Balacera nocturna", "Sin hora") for text in items if title in text}


def test_the_map_list_with_javascript_says_what_the_page_without_it_says(utc_english_page, nojs_page,
                                                                         evening_and_day_only):
    nojs_page.goto("/")
    without_js = _list_texts(nojs_page)
    server_title = nojs_page.inner_text("#map-list-title")
    utc_english_page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    utc_english_page.goto("/#map=7/14.6/-86.9")
    # The list is JavaScript's once its title changes ("Recent reports" -> "Reports in view").
    utc_english_page.wait_for_function("t => document.getElementById('map-list-title').textContent !== t",
                                       arg=server_title)
    with_js = _list_texts(utc_english_page)
    assert "1 dic 2025, 20:00" in with_js["Balacera nocturna"]
    assert "30 nov 2025" in with_js["Sin hora"] and "00:00" not in with_js["Sin hora"]
    assert with_js == without_js
