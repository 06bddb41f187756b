"""The public report list's filters show their whole text: every drop-down is at least as wide as
its longest option, on a desktop and on a phone, and the form wraps rather than scroll sideways
(issue #14: the category filter read "Todas las cate")."""

from __future__ import annotations

import pytest

# How wide the select would be if left to size itself to its longest option (same font, padding
# and arrow, since the copy sits in the same place in the page), against how wide it is.
NATURAL_AND_ACTUAL = """sel => {
  const copy = sel.cloneNode(true);
  copy.removeAttribute("id");
  for (const [k, v] of [["width", "auto"], ["min-width", "0"], ["max-width", "none"], ["position", "absolute"],
                        ["visibility", "hidden"]]) copy.style.setProperty(k, v, "important");
  sel.parentNode.appendChild(copy);
  const natural = copy.getBoundingClientRect().width;
  copy.remove();
  return [natural, sel.getBoundingClientRect().width];
}"""


@pytest.fixture
def long_category_names(category):
    from testigo.reports.models import Category

    parent = Category.objects.create(slug="desplazamiento", name_es="Desplazamiento forzado",
                                     name_en="Forced displacement")
    Category.objects.create(slug="amenazas", name_es="Amenazas a defensoras", name_en="Threats to defenders",
                            parent=parent)


@pytest.mark.parametrize("width", [1280, 390])
def test_every_filter_select_is_as_wide_as_its_longest_option(page, width, long_category_names):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/reports/")
    selects = page.locator("form.filters select")
    assert selects.count() >= 1
    for i in range(selects.count()):
        natural, actual = selects.nth(i).evaluate(NATURAL_AND_ACTUAL)
        assert actual + 0.5 >= natural, (selects.nth(i).get_attribute("name"), natural, actual)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
