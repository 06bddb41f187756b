"""The public map uses the screen it is on: most of a desktop's width beside the list, the whole
width of a phone with the list below it, and never a sideways scroll (issue #14: the map was
~370 px wide on a 1280 px desktop, squeezed into the text column)."""

from __future__ import annotations


def _open_map(page, width: int, height: int):
    page.set_viewport_size({"width": width, "height": height})
    page.route("**/tile.openstreetmap.org/**", lambda route: route.abort())
    page.goto("/#map=7/14.6/-86.9")
    page.wait_for_selector("#map[data-loaded]")
    return page.locator("#map").bounding_box(), page.locator("#map-list").bounding_box()


def test_on_a_desktop_the_map_takes_most_of_the_width_beside_the_list(page, published_report):
    box, listing = _open_map(page, 1280, 800)
    assert box["width"] >= 0.6 * 1280
    assert listing["x"] >= box["x"] + box["width"]  # the list sits beside the map, not under it
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_on_a_phone_the_map_is_full_width_with_the_list_below(page, published_report):
    box, listing = _open_map(page, 390, 844)
    assert box["width"] >= 0.95 * 390
    assert listing["y"] >= box["y"] + box["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

