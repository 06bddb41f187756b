"""A moderator logs in through the form, opens a report from the inbox, verifies and publishes
it, and the public page shows it. Selectors use names and values, not translated text."""

from __future__ import annotations

import pytest

from testigo.core import roles
from testigo.reports import selectors

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("page_fixture", ["page", "nojs_page"])
def test_moderator_verifies_and_publishes_from_the_inbox(request, page_fixture, make_user, report_factory):
    """The whole moderation path, with JavaScript on and off (Tor Browser "Safest")."""
    page = request.getfixturevalue(page_fixture)
    moderator = make_user(roles.MODERATOR)
    report = report_factory(title="Asalto en la parada de Kennedy")

    page.goto("/console/")
    assert "/console/login/" in page.url
    page.fill("input[name=username]", moderator.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")

    page.click(f"a[href='/console/r/{report.reference}/']")
    page.wait_for_url(f"**/console/r/{report.reference}/")
    assert "Asalto en la parada de Kennedy" in page.inner_text("h1")

    page.click("button[name=status][value=verified]")
    page.wait_for_selector(".badge.st-verified")
    page.click("button[name=status][value=published]")
    page.wait_for_selector(".badge.st-published")
    assert selectors.public_report(report.reference) is not None

    page.goto(f"/r/{report.reference}/")
    assert "Asalto en la parada de Kennedy" in page.content()


def test_inbox_keyboard_j_and_enter_open_the_first_report(page, make_user, report_factory):
    moderator = make_user(roles.MODERATOR)
    report = report_factory(title="Primero")
    page.goto("/console/login/")
    page.fill("input[name=username]", moderator.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/r/{report.reference}/")
