"""On the staff map, the status filter is in sight when the page opens, however many categories
there are (issue #14: it sat below a long category list, out of view), and every category can
still be chosen."""

from __future__ import annotations

import re

from playwright.sync_api import expect

CATEGORIES = 40


def test_status_filter_is_in_view_and_every_category_reachable(page, admin_user, category):
    from testigo.reports.models import Category

    made = [Category.objects.create(slug=f"cat-{i}", name_es=f"Categoría {i}", name_en=f"Category {i}")
            for i in range(CATEGORIES)]
    page.set_viewport_size({"width": 1280, "height": 720})
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/console/login/")
    page.fill("input[name=username]", admin_user.username)
    page.fill("input[name=password]", "correct horse battery")
    page.click("form[action='/console/login/'] button[type=submit]")
    page.wait_for_url("**/console/")
    page.goto("/console/map/")
    page.wait_for_selector("#map[data-loaded]")

    for box in page.locator("#map-filters input[name=status]").all():
        expect(box).to_be_in_viewport()
    expect(page.locator("#map-filters input[name=date_from]")).to_be_in_viewport()

    last = page.locator(f"#map-filters input[name=category][value='{made[-1].pk}']")
    last.check()  # Playwright scrolls it into view first, as a person would
    page.locator("#map-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/console/map/\?category={made[-1].pk}(#|$)"))
