"""Someone reading the site may be watched by the person they want to report (issue #21). Every
public page carries a "quick exit": with JavaScript, one click or Esc pressed twice replaces the
page with a neutral one and the report form is not in the tab's back history; without JavaScript
(Tor Browser "Safest", the tip line) it is a plain link that still leaves at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

NEUTRAL = "https://neutral.example/clima"
NEUTRAL_PAGE = "<!doctype html><title>Clima</title><p>Pronóstico: soleado</p>"

PUBLIC_PAGES = ["public:home", "public:report_new", "public:report_list", "alerts:subscribe"]
# The tip pages link to no other site: their quick exit is our own redirect to the neutral site.
TIP_PAGES = ["tipline:submit", "tipline:login"]


@pytest.fixture
def neutral_site(settings):
    """The neutral site, served by the browser itself: the test never leaves the machine."""
    settings.QUICK_EXIT_URL = NEUTRAL

    def serve(page):
        page.route("https://neutral.example/**", lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=NEUTRAL_PAGE))
        return page

    return serve


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_every_public_page_has_the_quick_exit_link(client, db, settings, english, name):
    settings.QUICK_EXIT_URL = NEUTRAL
    html = client.get(reverse(name)).content.decode()
    assert f'id="quick-exit" href="{NEUTRAL}" rel="noreferrer noopener"' in html
    assert "Quick exit" in html


@pytest.mark.parametrize("name", TIP_PAGES)
def test_every_tip_page_has_the_quick_exit_link_to_our_redirect(client, db, settings, english, name):
    settings.QUICK_EXIT_URL = NEUTRAL
    html = client.get(reverse(name)).content.decode()
    assert 'id="quick-exit" href="/tip/exit/" rel="noreferrer noopener"' in html
    assert "Quick exit" in html
    response = client.get("/tip/exit/")
    assert (response.status_code, response["Location"], response["Referrer-Policy"]) == (302, NEUTRAL, "no-referrer")


def test_staff_pages_have_no_quick_exit(client, admin_user):
    client.force_login(admin_user)
    assert 'id="quick-exit"' not in client.get(reverse("console:inbox")).content.decode()


def test_esc_twice_replaces_the_report_form_and_back_does_not_return_to_it(page, neutral_site, transactional_db):
    page = neutral_site(page)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: "Refused" in msg.text and errors.append(msg.text))
    page.goto("/")
    page.goto("/report/")
    page.fill("[name=title]", "Mi pareja me amenaza")
    page.locator(".quick-exit-hint").wait_for(state="visible")  # the hint shows once the script runs
    page.locator("[name=title]").press("Escape")
    page.locator("[name=title]").press("Escape")
    page.wait_for_url(NEUTRAL)
    assert "soleado" in page.content()
    page.go_back()
    page.wait_for_load_state()
    assert "/report/" not in page.url  # the form left the history: back goes to the page before it
    assert not errors, errors


def test_one_escape_alone_does_not_leave(page, neutral_site, transactional_db):
    page = neutral_site(page)
    page.goto("/report/")
    page.locator(".quick-exit-hint").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.wait_for_timeout(1200)
    page.keyboard.press("Escape")  # more than a second later: two stray presses, not a double press
    page.wait_for_timeout(300)
    assert page.url.endswith("/report/")


def test_a_click_on_quick_exit_replaces_the_page_in_history(page, neutral_site, transactional_db):
    page = neutral_site(page)
    page.goto("/")
    page.goto("/reports/")
    page.click("#quick-exit")
    page.wait_for_url(NEUTRAL)
    page.go_back()
    page.wait_for_load_state()
    assert "/reports/" not in page.url


def test_without_javascript_the_link_leaves_at_once(nojs_page, neutral_site, transactional_db):
    page = neutral_site(nojs_page)
    page.goto("/report/")
    page.click("#quick-exit")
    page.wait_for_url(NEUTRAL)
    assert "soleado" in page.content()


def test_without_javascript_the_tip_line_can_be_left_too(nojs_page, neutral_site, transactional_db):
    page = neutral_site(nojs_page)
    page.goto("/tip/")
    page.click("#quick-exit")
    page.wait_for_url(NEUTRAL)
