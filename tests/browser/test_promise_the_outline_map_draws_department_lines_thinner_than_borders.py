"""The outline map draws the region's departments (issue #22): with no tile server, the lines
between departments (Natural Earth admin-1, vendored) are drawn over the countries, thinner and
lighter than the country borders, and nothing is asked of another site."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.browser.test_promise_the_map_draws_offline_from_testigo_alone import offline

# Catches every Leaflet map the page makes (Leaflet's own init hooks), to read the drawn layers.
CATCH_MAPS = """(() => { window.tgMaps = []; let l;
  Object.defineProperty(window, 'L', { configurable: true, get: () => l, set: (v) => { l = v;
    if (v && v.Map) { v.Map.addInitHook(function () { window.tgMaps.push(this); }); } } }); })();"""

STYLES = """() => { const out = {}; window.tgMaps[0].eachLayer(l => {
    if (l.feature && l.feature.geometry) {
      const k = l.feature.geometry.type === 'MultiLineString' ? 'lines' : 'countries';
      (out[k] = out[k] || []).push([l.feature.id, l.options.weight, l.options.color]); } });
  return out; }"""


def test_department_lines_are_drawn_thinner_than_country_borders_without_the_internet(page, settings):
    settings.TILE_URL = ""
    asked = offline(page)
    page.add_init_script(CATCH_MAPS)
    page.goto("/#map=8/14.6/-86.9")
    page.wait_for_selector("#map[data-outline=drawn][data-departments=drawn]", timeout=15000)
    drawn = page.evaluate(STYLES)
    assert "HND" in {i for i, _, _ in drawn["lines"]} and "MEX" in {i for i, _, _ in drawn["lines"]}
    line_weights = {w for _, w, _ in drawn["lines"]}
    border_weights = {w for _, w, _ in drawn["countries"]}
    assert max(line_weights) < min(border_weights)
    assert {c for _, _, c in drawn["lines"]}.isdisjoint({c for _, _, c in drawn["countries"]})
    # Drawn over the countries' fill, not under it: in the canvas's drawing order every department
    # line comes after every country (Leaflet's renderer keeps that order as a linked list).
    order = page.evaluate("""() => { let r = null; window.tgMaps[0].eachLayer(l => {
        if (l.feature && l.feature.id === 'HND' && l._renderer) { r = l._renderer; } });
      const kinds = []; for (let o = r._drawFirst; o; o = o.next) {
        if (o.layer.feature) { kinds.push(o.layer.feature.geometry.type === 'MultiLineString' ? 'L' : 'C'); } }
      return kinds.join(''); }""")
    assert "L" in order and "C" in order and "LC" not in order, order[:80]
    assert [u for u in asked if urlsplit(u).hostname not in {"127.0.0.1", "localhost"}] == []
